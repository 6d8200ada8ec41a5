package lsm

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAppArmorEnabledAt(t *testing.T) {
	dir := t.TempDir()
	yes := writeFile(t, dir, "yes", "Y\n")
	no := writeFile(t, dir, "no", "N\n")
	for _, tc := range []struct {
		name, param, fs string
	}{
		{"module says N", no, "/proc"},
		{"no module parameter", filepath.Join(dir, "missing"), "/proc"},
		{"Y but no securityfs dir", yes, filepath.Join(dir, "missing")},
		{"Y but the dir is not securityfs", yes, dir},
	} {
		if appArmorEnabledAt(tc.param, tc.fs) {
			t.Errorf("%s: reported enabled", tc.name)
		}
	}
	// The one true case needs a real securityfs; mount one (it is a single
	// kernel-wide superblock, so this changes nothing but the new mount).
	if os.Getuid() != 0 {
		t.Skip("mounting securityfs needs root")
	}
	mnt := t.TempDir()
	if err := unix.Mount("securityfs", mnt, "securityfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		t.Skipf("mount securityfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	if !appArmorEnabledAt(yes, mnt) {
		t.Error("Y and securityfs: reported disabled")
	}
	if appArmorEnabledAt(no, mnt) {
		t.Error("N and securityfs: reported enabled")
	}
}

func TestCheckAppArmor(t *testing.T) {
	if err := checkAppArmor("", false); err != nil {
		t.Errorf("no profile, AppArmor off: %v", err)
	}
	if err := checkAppArmor("rt-default", true); err != nil {
		t.Errorf("profile, AppArmor on: %v", err)
	}
	err := checkAppArmor("x", false)
	want := `apparmor profile "x" requested but AppArmor is not enabled`
	if err == nil || err.Error() != want {
		t.Errorf("profile, AppArmor off: got %v, want %q", err, want)
	}
}

func TestCheckSELinux(t *testing.T) {
	if err := checkSELinux("", false); err != nil {
		t.Errorf("no label, SELinux off: %v", err)
	}
	if err := checkSELinux("system_u:system_r:container_t:s0", true); err != nil {
		t.Errorf("label, SELinux on: %v", err)
	}
	err := checkSELinux("system_u:system_r:container_t:s0", false)
	want := "selinux label is specified in config, but selinux is disabled or not supported"
	if err == nil || err.Error() != want {
		t.Errorf("label, SELinux off: got %v, want %q", err, want)
	}
}

func TestApplyAppArmorHere(t *testing.T) {
	if err := ApplyAppArmor(""); err != nil {
		t.Errorf("empty profile: %v", err)
	}
	if AppArmorEnabled() {
		t.Skip("AppArmor is enabled on this host; the VM suite tests the real transition")
	}
	// The up-front check refuses it; the apply itself fails at the kernel.
	if err := CheckAppArmor("x"); err == nil || !strings.Contains(err.Error(), "AppArmor is not enabled") {
		t.Errorf("check without AppArmor: got %v", err)
	}
	if err := ApplyAppArmor("x"); err == nil || !strings.Contains(err.Error(), `apply apparmor profile "x"`) {
		t.Errorf("apply without AppArmor: got %v", err)
	}
}

func fileOpener(t *testing.T, files map[string]string) (opener, *[]string) {
	var tried []string
	return func(sub string) (*os.File, func(), error) {
		tried = append(tried, sub)
		p, ok := files[sub]
		if !ok {
			return nil, nil, &os.PathError{Op: "open", Path: sub, Err: unix.ENOENT}
		}
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		return f, func() {}, nil
	}, &tried
}

// A file that is not on procfs (what a container gets when it puts a
// plain file or a tmpfs where /proc should be) is refused, not written,
// and not skipped in favour of the next candidate.
func TestWriteThreadAttrRefusesNonProcfs(t *testing.T) {
	dir := t.TempDir()
	fake := writeFile(t, dir, "exec", "")
	for _, tc := range []struct {
		name      string
		files     map[string]string
		wantTried []string
	}{
		{"first candidate is a plain file", map[string]string{"attr/apparmor/exec": fake, "attr/exec": fake},
			[]string{"attr/apparmor/exec"}},
		{"fallback is a plain file", map[string]string{"attr/exec": fake},
			[]string{"attr/apparmor/exec", "attr/exec"}},
	} {
		open, tried := fileOpener(t, tc.files)
		err := writeThreadAttr(open, []string{"attr/apparmor/exec", "attr/exec"}, "exec evil")
		if err == nil || !strings.Contains(err.Error(), "not on procfs") {
			t.Errorf("%s: got %v, want a not-on-procfs error", tc.name, err)
		}
		if strings.Join(*tried, " ") != strings.Join(tc.wantTried, " ") {
			t.Errorf("%s: tried %v, want %v", tc.name, *tried, tc.wantTried)
		}
		if b, _ := os.ReadFile(fake); len(b) != 0 {
			t.Errorf("%s: the fake file was written: %q", tc.name, b)
		}
	}
}

func TestWriteThreadAttrNoCandidate(t *testing.T) {
	open, tried := fileOpener(t, nil)
	err := writeThreadAttr(open, []string{"attr/apparmor/exec", "attr/exec"}, "exec x")
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("got %v, want ENOENT", err)
	}
	if len(*tried) != 2 {
		t.Errorf("tried %v, want both", *tried)
	}
}

// On the real procfs the write reaches the kernel: with no LSM claiming
// the attr file (this host) the kernel answers EINVAL, which proves the
// path through the private procfs handle and the fallback work.
func TestWriteThreadAttrRealProcfs(t *testing.T) {
	if AppArmorEnabled() {
		t.Skip("AppArmor would accept or reject the profile itself")
	}
	if _, err := os.Stat("/proc/thread-self/attr/exec"); err != nil {
		t.Skipf("no attr/exec: %v", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err := writeThreadAttr(openThreadSelf, []string{"attr/apparmor/exec", "attr/exec"}, "exec rt-test-profile")
	if err == nil {
		t.Fatal("write of an AppArmor exec attr succeeded without AppArmor")
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) {
		t.Errorf("got %v, want the kernel's refusal (EINVAL)", err)
	}
	if strings.Contains(err.Error(), "not on procfs") {
		t.Errorf("real procfs refused as fake: %v", err)
	}
}

func TestVerifyProcfs(t *testing.T) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := verifyProcfs(int(f.Fd())); err != nil {
		t.Errorf("/proc/self/status: %v", err)
	}
	g, err := os.Open(writeFile(t, t.TempDir(), "status", "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := verifyProcfs(int(g.Fd())); err == nil {
		t.Error("plain file passed as procfs")
	}
}

func TestApplySELinuxExecLabel(t *testing.T) {
	const lbl = "system_u:system_r:container_t:s0:c1,c2"
	for _, tc := range []struct {
		name    string
		label   string
		enabled bool
		setErr  error
		wantSet bool
		wantErr bool
	}{
		{"no label", "", true, nil, false, false},
		{"SELinux disabled: ignored", lbl, false, nil, false, false},
		{"applied", lbl, true, nil, true, false},
		{"kernel refuses", lbl, true, unix.EINVAL, true, true},
	} {
		var got []string
		err := applySELinuxExecLabel(tc.label, tc.enabled, func(l string) error {
			got = append(got, l)
			return tc.setErr
		})
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if tc.wantErr && (!errors.Is(err, tc.setErr) || !strings.Contains(err.Error(), lbl)) {
			t.Errorf("%s: error %v does not wrap the cause with the label", tc.name, err)
		}
		if tc.wantSet != (len(got) == 1 && got[0] == tc.label) {
			t.Errorf("%s: set called with %v", tc.name, got)
		}
	}
}

func TestFormatMountLabel(t *testing.T) {
	const lbl = "system_u:object_r:container_file_t:s0:c1,c2"
	for _, tc := range []struct {
		opts, label string
		enabled     bool
		want        string
	}{
		{"", lbl, true, `context="` + lbl + `"`},
		{"size=64k,mode=755", lbl, true, `size=64k,mode=755,context="` + lbl + `"`},
		{"size=64k", "", true, "size=64k"},
		{"size=64k", lbl, false, "size=64k"},
	} {
		if got := formatMountLabel(tc.opts, tc.label, tc.enabled); got != tc.want {
			t.Errorf("formatMountLabel(%q, %q, %v) = %q, want %q", tc.opts, tc.label, tc.enabled, got, tc.want)
		}
	}
}
