package systemd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups/stats"
)

// Files is the cgroup file driver under the unit (fs for v1, fs2 for v2,
// or the hybrid of both): the methods of cgroups.Manager, which this
// package cannot import.
type Files interface {
	Apply(pid int) error
	Set(r *specs.LinuxResources) error
	Freeze() error
	Thaw() error
	Pids() ([]int, error)
	Stats() (*stats.Stats, error)
	Destroy() error
}

// jobTimeout bounds the wait for systemd to finish a start or stop job.
const jobTimeout = 30 * time.Second

// Manager is a container's cgroup as a systemd unit, with the cgroup
// files of that unit behind it.
type Manager struct {
	unit  Unit
	files Files
	v2    bool
	bus   Bus
	// start is set for a unit that Apply must create (New), with the
	// resources and annotation properties it starts with; a loaded
	// manager's Apply only joins.
	start     bool
	resources *specs.LinuxResources
	extra     []sd.Property

	conn    *sd.Conn
	version int
}

// New is the manager of a unit that Apply will start. r are the resources
// it starts with (Set adds to them later); extra are properties from
// org.systemd.property.* annotations. v2 picks the property names of a
// unified host (MemoryMax, CPUWeight, IOWeight) over v1's. bus is the
// manager that owns the unit. files may be nil until SetFiles (a user
// manager's units live under its own cgroup, which takes a call to learn).
func New(u Unit, files Files, r *specs.LinuxResources, extra []sd.Property, v2 bool, bus Bus) *Manager {
	return &Manager{unit: u, files: files, v2: v2, bus: bus, start: true, resources: r, extra: extra}
}

// Load is the manager of a unit a previous command started.
func Load(unitName string, files Files, v2 bool, bus Bus) *Manager {
	return &Manager{unit: Unit{Name: unitName}, files: files, v2: v2, bus: bus}
}

// SetFiles gives a manager made with nil files its cgroup file driver.
func (m *Manager) SetFiles(f Files) { m.files = f }

// Bus is the manager the unit belongs to.
func (m *Manager) Bus() Bus { return m.bus }

// UnitName is the unit's name ("rt-<id>.scope").
func (m *Manager) UnitName() string { return m.unit.Name }

func (m *Manager) connect(ctx context.Context) (*sd.Conn, error) {
	if m.conn != nil {
		return m.conn, nil
	}
	if !IsRunning() {
		return nil, ErrNotRunning
	}
	// The connection lives as long as the manager: godbus closes a
	// connection when the context it was made with is done, so ctx (one
	// call's timeout) bounds only the dial, not the connection.
	c, err := dialBus(ctx, m.bus)
	if err != nil {
		return nil, err
	}
	m.conn = c
	if v, err := c.GetManagerProperty("Version"); err == nil {
		m.version = parseVersion(v)
	}
	return c, nil
}

// dial connects to systemd (the system bus, else its private socket),
// waiting at most until ctx is done.
func dial(ctx context.Context) (*sd.Conn, error) {
	type result struct {
		c   *sd.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := sd.NewWithContext(context.Background())
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		return r.c, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// parseVersion reads the leading number of the manager's Version
// property (a GVariant string such as "252.38-1~deb12u1").
func parseVersion(v string) int {
	v = strings.Trim(v, `"'`)
	v = strings.TrimPrefix(v, "v")
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(v[:end])
	return n
}

// Close drops the D-Bus connection, if one was made.
func (m *Manager) Close() {
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
}

// Apply starts the unit with pid in it (New), or joins pid to the unit's
// cgroup (Load). The files driver then enables the controllers down to
// the unit's cgroup and makes the dirs of v1 hierarchies systemd does not
// manage.
func (m *Manager) Apply(pid int) error {
	if m.start {
		if err := m.startUnit(pid); err != nil {
			return err
		}
		m.start = false
		return m.files.Apply(pid)
	}
	err := m.files.Apply(pid)
	if err != nil && pid > 0 && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) {
		// Not allowed to write the unit's cgroup.procs (a rootless
		// user's delegated unit from outside it): systemd moves it.
		ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
		defer cancel()
		c, cerr := m.connect(ctx)
		if cerr != nil {
			return errors.Join(err, cerr)
		}
		if aerr := c.AttachProcessesToUnit(ctx, m.unit.Name, "/", []uint32{uint32(pid)}); aerr != nil {
			return errors.Join(err, fmt.Errorf("attach %d to unit %s: %w", pid, m.unit.Name, aerr))
		}
		return nil
	}
	return err
}

func (m *Manager) startUnit(pid int) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	c, err := m.connect(ctx)
	if err != nil {
		return err
	}
	props := unitProps(m.unit, pid, m.v2)
	rp, err := resourceProps(m.resources, m.v2, featuresOf(m.version))
	if err != nil {
		return err
	}
	props = append(append(props, rp...), m.extra...)
	name := m.unit.Name
	for retry := true; ; retry = false {
		ch := make(chan string, 1)
		_, err = c.StartTransientUnitContext(ctx, name, "replace", props, ch)
		if err == nil {
			return waitJob(ctx, c, name, ch, "creating")
		}
		if !isDBusError(err, "org.freedesktop.systemd1.UnitExists") || !retry {
			return fmt.Errorf("unable to start unit %q: %w", name, err)
		}
		// A failed unit of the same name stays loaded until reset: let
		// systemd drop it, and try once more.
		_ = c.ResetFailedUnitContext(ctx, name)
	}
}

// waitJob waits for the job's result ("done" is success).
func waitJob(ctx context.Context, c *sd.Conn, name string, ch <-chan string, what string) error {
	select {
	case s := <-ch:
		if s != "done" {
			_ = c.ResetFailedUnitContext(context.Background(), name)
			return fmt.Errorf("error %s systemd unit `%s`: got `%s`", what, name, s)
		}
		return nil
	case <-ctx.Done():
		_ = c.ResetFailedUnitContext(context.Background(), name)
		return fmt.Errorf("timed out waiting for systemd %s unit %s", what, name)
	}
}

func isDBusError(err error, name string) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == name
	}
	var dp *dbus.Error
	return errors.As(err, &dp) && dp.Name == name
}

// Set sends the resources systemd has properties for to the unit (so that
// systemd, which rewrites its units' cgroup files whenever it reloads
// them, keeps the same values), then writes every resource to the files.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if m.start {
		return errors.New("systemd unit not started yet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	c, err := m.connect(ctx)
	if err != nil {
		return err
	}
	props, err := resourceProps(r, m.v2, featuresOf(m.version))
	if err != nil {
		return err
	}
	if len(props) > 0 {
		if err := c.SetUnitPropertiesContext(ctx, m.unit.Name, true, props...); err != nil {
			return fmt.Errorf("unable to set unit properties: %w", err)
		}
		// systemd answers SetUnitProperties before it writes the unit's
		// cgroup files: its main loop applies the new values (cpu.max from
		// CPUQuotaPerSecUSec, rounded to 10 ms a second) after the call,
		// and before it serves the next message. One more round trip
		// makes sure that happened, so the exact values written below
		// are not overwritten afterwards.
		if _, err := c.GetUnitPropertyContext(ctx, m.unit.Name, "ActiveState"); err != nil {
			return fmt.Errorf("unable to read unit %s after setting its properties: %w", m.unit.Name, err)
		}
	}
	return m.files.Set(r)
}

// Freeze and Thaw use the unit's cgroup freezer directly.
func (m *Manager) Freeze() error { return m.files.Freeze() }
func (m *Manager) Thaw() error   { return m.files.Thaw() }

func (m *Manager) Pids() ([]int, error)         { return m.files.Pids() }
func (m *Manager) Stats() (*stats.Stats, error) { return m.files.Stats() }

// Destroy stops the unit, resets it if it failed (an OOM-killed scope
// stays loaded as failed otherwise), then removes what is left of its
// cgroup dirs (the v1 hierarchies systemd does not manage). A unit that
// is already gone is not an error.
func (m *Manager) Destroy() error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	c, err := m.connect(ctx)
	if err != nil {
		return err
	}
	name := m.unit.Name
	ch := make(chan string, 1)
	if _, err := c.StopUnitContext(ctx, name, "replace", ch); err != nil {
		if !isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			return fmt.Errorf("unable to stop unit %q: %w", name, err)
		}
	} else if err := waitJob(ctx, c, name, ch, "stopping"); err != nil {
		return err
	}
	_ = c.ResetFailedUnitContext(ctx, name)
	return m.files.Destroy()
}
