package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
)

// A create killed midway (SIGKILL of rt, as a shim's timeout does) leaves
// <root>/<id> without state.json. So that `delete -f` can still remove
// what it made, and a new create of the id can reclaim the dir, create
// writes create.json before each step that makes something: the cgroup
// paths before any cgroup exists, each process before it can make
// anything. state.json replaces it once the container is created.
const createRecordName = "create.json"

type createRecord struct {
	CgroupPaths cgroups.Paths `json:"cgroupPaths,omitzero"`
	SystemdUnit string        `json:"systemdUnit,omitempty"`
	// SystemdUser: the unit is the user's systemd's (rootless).
	SystemdUser bool      `json:"systemdUser,omitempty"`
	Procs       []procRef `json:"procs,omitempty"`
}

// procRef names one process by pid and start time (field 22 of stat), so
// a reused pid is never killed.
type procRef struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// write replaces create.json atomically: temp file + rename.
func (r *createRecord) write(dir string) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode create record: %w", err)
	}
	tmp := filepath.Join(dir, "."+createRecordName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("create record: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, createRecordName)); err != nil {
		return fmt.Errorf("create record: %w", err)
	}
	return nil
}

// addProc records pid (its start time read now) and writes the record.
func (r *createRecord) addProc(dir string, pid int) error {
	start, _, err := processStartTime(pid)
	if err != nil {
		return fmt.Errorf("create record: %w", err)
	}
	r.Procs = append(r.Procs, procRef{Pid: pid, Start: start})
	return r.write(dir)
}

// cleanHalfMade removes what a killed create left in dir: its processes
// (checked by start time), its cgroup (left in place while another
// container uses it) and the dir. The caller holds the dir's lock and has
// seen that it holds no state.json.
func cleanHalfMade(dir string, log *slog.Logger) error {
	var r createRecord
	b, err := os.ReadFile(filepath.Join(dir, createRecordName))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &r); err != nil {
			log.Warn("half-made container: unreadable create record", "error", err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read create record: %w", err)
	}
	for _, p := range r.Procs {
		killRef(p)
	}
	if !r.CgroupPaths.IsZero() {
		if cg, err := loadCgroup(r.SystemdUnit, r.SystemdUser, r.CgroupPaths); err == nil {
			destroyCgroup(cg, log)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove state: %w", err)
	}
	return nil
}

// killRef SIGKILLs the process if it is still the one recorded, and waits
// (up to 5 s) until it is gone or a zombie.
func killRef(p procRef) {
	alive := func() bool {
		start, zombie, err := processStartTime(p.Pid)
		return err == nil && start == p.Start && !zombie
	}
	if !alive() {
		return
	}
	unix.Kill(p.Pid, unix.SIGKILL)
	for i := 0; i < 1000 && alive(); i++ {
		var ws unix.WaitStatus
		unix.Wait4(p.Pid, &ws, unix.WNOHANG, nil)
		time.Sleep(5 * time.Millisecond)
	}
}

// hasState says whether dir holds a state.json.
func hasState(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, stateFile))
	return err == nil
}

// reclaimHalfMade is create's answer to an existing <root>/<id>: a dir with
// no state.json and no live lock holder (its create was killed) is cleaned
// and the id is free again; anything else is a container that exists.
// makeStateDir makes <root>/<id> for a new container (create or restore),
// reclaiming a dir that a create killed midway left behind; an id in use
// is ErrExist.
func makeStateDir(root, id string, log *slog.Logger) (string, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("state root: %w", err)
	}
	dir := stateDir(root, id)
	err := os.Mkdir(dir, 0o711)
	if os.IsExist(err) {
		if err := reclaimHalfMade(dir, id, log); err != nil {
			return "", err
		}
		err = os.Mkdir(dir, 0o711)
	}
	if err != nil {
		if os.IsExist(err) {
			return "", &IDError{ID: id, Err: ErrExist}
		}
		return "", fmt.Errorf("state dir: %w", err)
	}
	return dir, nil
}

func reclaimHalfMade(dir, id string, log *slog.Logger) error {
	exists := &IDError{ID: id, Err: ErrExist}
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return exists
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return exists // a create or another command is at work on it
	}
	if hasState(dir) {
		return exists
	}
	log.Debug("reclaiming a half-made container", "id", id)
	return cleanHalfMade(dir, log)
}

// DeleteByID is rt delete: the container id under root is deleted
// (Delete); with force, an id whose state.json is missing (a create killed
// midway, DeleteHalfMade) is cleaned, and an id with nothing left is no
// error.
func DeleteByID(root, id string, force bool, log *slog.Logger) error {
	c, err := Load(root, id, log)
	if err != nil {
		if force && errors.Is(err, ErrNotExist) {
			return DeleteHalfMade(root, id, log)
		}
		return err
	}
	return c.Delete(force)
}

// DeleteHalfMade is `delete --force` of an id whose state.json is missing:
// a create killed midway. It waits for the dir's lock (a create still at
// work finishes first); if the create then succeeded, the container is
// deleted the normal way.
func DeleteHalfMade(root, id string, log *slog.Logger) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	dir := stateDir(root, id)
	if _, err := os.Lstat(dir); err != nil {
		return nil // nothing there: delete --force of a missing container
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	if hasState(dir) {
		lock.Close()
		c, err := Load(root, id, log)
		if err != nil {
			return err
		}
		return c.Delete(true)
	}
	defer lock.Close()
	return cleanHalfMade(dir, log)
}
