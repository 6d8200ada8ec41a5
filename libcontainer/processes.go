package libcontainer

import "fmt"

// Processes lists the host pids of every process in the container's
// cgroup. A stopped container lists what is left there, as runc's ps does:
// nothing, unless it had no pid namespace of its own.
func (c *Container) Processes() ([]int, error) {
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	pids, err := cg.Pids()
	if err != nil {
		return nil, fmt.Errorf("processes of %q: %w", c.State.ID, err)
	}
	return pids, nil
}
