package libcontainer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// linux.netDevices: host interfaces moved into the container's network
// namespace (new or joined) by the parent, once stage 0 has made or
// joined it and before the init sets anything up, with runc 1.4's
// semantics: the move and the rename are one RTM_SETLINK (the old name may
// be taken in the container; the new one is checked free first), the kernel keeps MTU
// and MAC, the permanent global addresses the device had are added back
// there (the move drops them), and the device is set up. What becomes of
// it when the namespace dies is the kernel's business (a physical device
// returns to the initial namespace, a veth is destroyed with it).

// validNetDevName is the kernel's dev_valid_name: 1..15 bytes, not "."
// or "..", no '/', ':' or white space.
func validNetDevName(n string) bool {
	if n == "" || len(n) >= unix.IFNAMSIZ || n == "." || n == ".." {
		return false
	}
	return !strings.ContainsAny(n, "/: \t\n\v\f\r")
}

func validateNetDevices(s *specs.Spec) error {
	if len(s.Linux.NetDevices) == 0 {
		return nil
	}
	if _, ok := findNamespace(s, specs.NetworkNamespace); !ok {
		return errors.New("linux.netDevices: unable to move network devices without a network namespace")
	}
	names := map[string]string{}
	for _, host := range sortedNetDevices(s.Linux.NetDevices) {
		field := fmt.Sprintf("linux.netDevices[%q]", host)
		if !validNetDevName(host) {
			return fmt.Errorf("%s: invalid network device name %q", field, host)
		}
		name := netDevName(host, s.Linux.NetDevices[host])
		if !validNetDevName(name) {
			return fmt.Errorf("%s.name: invalid network device name %q", field, name)
		}
		if other, ok := names[name]; ok {
			return fmt.Errorf("%s.name: %q is also the name of %q in the container", field, name, other)
		}
		names[name] = host
	}
	return nil
}

func sortedNetDevices(m map[string]specs.LinuxNetDevice) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// netDevName is the device's name in the container: name, or its own.
func netDevName(host string, d specs.LinuxNetDevice) string {
	if d.Name != "" {
		return d.Name
	}
	return host
}

// moveNetDevices moves every device of s into the network namespace of
// pid, whose start time was read as startTime (checked after the open, so
// the namespace is the container's).
func moveNetDevices(s *specs.Spec, pid int, startTime uint64) error {
	if len(s.Linux.NetDevices) == 0 {
		return nil
	}
	nsPath := "/proc/" + strconv.Itoa(pid) + "/ns/net"
	nsFile, err := os.Open(nsPath)
	if err != nil {
		return fmt.Errorf("linux.netDevices: open the container's network namespace: %w", err)
	}
	defer nsFile.Close()
	if st, _, err := processStartTime(pid); err != nil || st != startTime {
		return fmt.Errorf("linux.netDevices: container process %d is gone", pid)
	}
	target, err := netlink.NewHandleAt(netns.NsHandle(nsFile.Fd()))
	if err != nil {
		return fmt.Errorf("linux.netDevices: netlink in the container's network namespace: %w", err)
	}
	defer target.Close()
	for _, host := range sortedNetDevices(s.Linux.NetDevices) {
		name := netDevName(host, s.Linux.NetDevices[host])
		if err := moveNetDevice(host, name, int(nsFile.Fd()), target); err != nil {
			return fmt.Errorf("linux.netDevices[%q]: %w", host, err)
		}
	}
	return nil
}

func moveNetDevice(host, name string, nsFd int, target *netlink.Handle) error {
	link, err := netlink.LinkByName(host)
	if err != nil {
		return fmt.Errorf("device %s not found in the runtime's network namespace: %w", host, err)
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list addresses of %s: %w", host, err)
	}
	// The kernel moves the device before it renames it: a name taken
	// there would leave it moved but failed. Refuse that first.
	if _, err := target.LinkByName(name); err == nil {
		return fmt.Errorf("move %s into the container's network namespace as %s: %w", host, name, unix.EEXIST)
	}
	if err := setNsAndName(link.Attrs().Index, nsFd, name); err != nil {
		return fmt.Errorf("move %s into the container's network namespace as %s: %w", host, name, err)
	}
	moved, err := target.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s in the container: %w", name, err)
	}
	for _, a := range addrs {
		// As runc: only addresses the user set (permanent) and that mean
		// the same anywhere (global scope); link-local and autoconfigured
		// ones belong to where they were made.
		if a.Flags&unix.IFA_F_PERMANENT == 0 || a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue
		}
		na := &netlink.Addr{IPNet: a.IPNet, Peer: a.Peer, Broadcast: a.Broadcast}
		if err := target.AddrAdd(moved, na); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("add address %s to %s: %w", a.IPNet, name, err)
		}
	}
	if err := target.LinkSetUp(moved); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	return nil
}

// setNsAndName moves interface index into the namespace nsFd and names it
// name there, in one message (ip link set DEV netns NS name NAME).
func setNsAndName(index, nsFd int, name string) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	fd := make([]byte, 4)
	binary.NativeEndian.PutUint32(fd, uint32(nsFd))
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, fd))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, []byte(name)))
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}
