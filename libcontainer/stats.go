package libcontainer

import (
	"fmt"

	"github.com/rt-runtime/rt/cgroups"
)

// Stats reads one sample of the container's cgroup counters (what
// `rt events --stats` prints). A stopped container's cgroup still answers.
func (c *Container) Stats() (*cgroups.Stats, error) {
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	s, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", c.State.ID, err)
	}
	return s, nil
}
