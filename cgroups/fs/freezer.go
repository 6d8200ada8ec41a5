package fs

import (
	"errors"
	"fmt"
	"time"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
)

// freezeTimeout bounds how long Freeze waits for FREEZING to turn FROZEN
// (a task in uninterruptible sleep holds it up).
const freezeTimeout = 5 * time.Second

// Freeze writes FROZEN and waits until the kernel reports FROZEN; if the
// cgroup does not freeze in time it is thawed again and an error returned.
func (m *Manager) Freeze() error {
	d, err := m.dir("freezer", "freeze")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	delay := 100 * time.Microsecond
	for {
		// Writing again nudges tasks that were forking during the
		// previous attempt.
		if err := cgfile.Write(d, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		state, err := cgfile.Read(d, "freezer.state")
		if err != nil {
			return err
		}
		if state == "FROZEN" {
			return nil
		}
		if time.Now().After(deadline) {
			thawErr := cgfile.Write(d, "freezer.state", "THAWED")
			return errors.Join(fmt.Errorf("freeze %s: still %s after %v", d, state, freezeTimeout), thawErr)
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// Thaw writes THAWED and waits until the state reads THAWED.
func (m *Manager) Thaw() error {
	d, err := m.dir("freezer", "thaw")
	if err != nil {
		return err
	}
	if err := cgfile.Write(d, "freezer.state", "THAWED"); err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for {
		state, err := cgfile.Read(d, "freezer.state")
		if err != nil {
			return err
		}
		if state == "THAWED" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thaw %s: still %s after %v", d, state, freezeTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// Frozen reports whether freezer.state reads other than THAWED: FROZEN,
// or FREEZING on the way there. Without a freezer hierarchy nothing can
// have frozen the cgroup: false.
func (m *Manager) Frozen() (bool, error) {
	d, ok := m.paths["freezer"]
	if !ok {
		return false, nil
	}
	state, err := cgfile.Read(d, "freezer.state")
	if err != nil {
		return false, err
	}
	return state != "THAWED", nil
}
