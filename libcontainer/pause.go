package libcontainer

import (
	"fmt"

	"github.com/rt-runtime/rt/cgroups"
)

// Pause freezes every process of a running or created container (the
// cgroup freezer). Its status then reads as paused (State.Refresh).
func (c *Container) Pause() error {
	return c.freezer("pause", cgroups.Manager.Freeze)
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	return c.freezer("resume", cgroups.Manager.Thaw)
}

// freezer runs act on the cgroup under the container's lock, once the
// status allows op.
func (c *Container) freezer(op string, act func(cgroups.Manager) error) error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := c.allowed(op, false); err != nil {
		return err
	}
	cg, err := c.cgroup()
	if err != nil {
		return err
	}
	if err := act(cg); err != nil {
		return fmt.Errorf("%s %s: %w", op, c.State.ID, err)
	}
	return nil
}
