package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"

	"github.com/containerd/console"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
	"golang.org/x/sys/unix"
)

// setupConsole runs in the init after pivot_root: the pty is made in the
// container's own devpts, its master goes to the parent, its slave
// becomes the init's stdio, controlling terminal and /dev/console.
func setupConsole(sock int, size *specs.Box, devConsole bool) error {
	ptmx, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer unix.Close(ptmx)
	if err := unix.IoctlSetPointerInt(ptmx, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	// TIOCGPTPEER opens the slave through the master, not by a path the
	// container could swap.
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(ptmx), uintptr(unix.TIOCGPTPEER), uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if e != 0 {
		return fmt.Errorf("open pty slave: %w", e)
	}
	slave := int(r)
	defer unix.Close(slave)
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(ptmx, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set console size: %w", err)
		}
	}
	if devConsole {
		if err := bindConsole(slave); err != nil {
			return err
		}
	}
	if err := initSend(sock, syncMsg{Type: syncConsole}, ptmx); err != nil {
		return err
	}
	// The caller leads its own session already (newSession).
	if err := unix.IoctlSetInt(slave, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("dup pty onto fd %d: %w", fd, err)
		}
	}
	return nil
}

// bindConsole makes /dev/console the pty slave, as runc does.
func bindConsole(slave int) error {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer root.Close()
	dev, err := pathsafe.OpenInRoot(root, "/dev")
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer dev.Close()
	fd, err := consoleTarget(int(dev.Fd()))
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", err)
	}
	target := os.NewFile(uintptr(fd), "/dev/console")
	defer target.Close()
	tree, err := unix.OpenTree(slave, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("clone pty for /dev/console: %w", err)
	}
	defer unix.Close(tree)
	if err := moveOnto(tree, target); err != nil {
		return fmt.Errorf("bind /dev/console: %w", err)
	}
	return nil
}

// consoleTarget opens the image's /dev/console to mount the pty over, or
// makes it: never in a mode that blocks (a FIFO there hung create on its
// open), never through a symlink, and only a regular file or a character
// device (what an image or rt's own /dev has there).
func consoleTarget(dev int) (int, error) {
	fd, err := unix.Openat(dev, "console", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return unix.Openat(dev, "console", unix.O_CREAT|unix.O_EXCL|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	}
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFCHR:
		return fd, nil
	case unix.S_IFLNK:
		unix.Close(fd)
		return -1, unix.ELOOP
	}
	unix.Close(fd)
	return -1, fmt.Errorf("%s in the image, not a regular file or character device", fileKind(st.Mode))
}

// fileKind names the file type of a stat mode.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFBLK:
		return "a block device"
	}
	return "an unknown file type"
}

// sendConsole passes the pty master over the --console-socket, with
// SCM_RIGHTS, as runc does.
func sendConsole(path string, fd int) error {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return fmt.Errorf("console socket %s: %w", path, err)
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("console socket %s: not a unix socket", path)
	}
	if _, _, err := uc.WriteMsgUnix([]byte("/dev/ptmx"), unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("console socket %s: send pty: %w", path, err)
	}
	return nil
}

// ProxyConsole copies between the caller's stdio and the pty master until
// the container side closes. When stdin is a terminal it is set raw for
// the duration, and window size changes follow it. The returned function
// waits for output to drain and restores the terminal.
func ProxyConsole(master int) (func(), error) {
	m := os.NewFile(uintptr(master), "pty-master")
	restore := func() {}
	if cur, err := console.ConsoleFromFile(os.Stdin); err == nil {
		if err := cur.SetRaw(); err != nil {
			return nil, fmt.Errorf("set terminal raw: %w", err)
		}
		restore = func() { cur.Reset() }
		// The pty translates \n itself: without this the caller sees \r\r\n.
		if err := console.ClearONLCR(uintptr(master)); err != nil {
			restore()
			return nil, fmt.Errorf("console: %w", err)
		}
		resize := func() {
			// A 0x0 terminal (script(1) without a size) keeps consoleSize.
			if ws, err := unix.IoctlGetWinsize(int(os.Stdin.Fd()), unix.TIOCGWINSZ); err == nil && ws.Row > 0 && ws.Col > 0 {
				unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, ws)
			}
		}
		resize()
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, unix.SIGWINCH)
		go func() {
			for range ch {
				resize()
			}
		}()
	}
	go io.Copy(m, os.Stdin)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := io.Copy(os.Stdout, m)
		var pe *os.PathError
		if err != nil && !(errors.As(err, &pe) && errors.Is(pe.Err, unix.EIO)) {
			fmt.Fprintln(os.Stderr, "rt: console:", err)
		}
	}()
	return func() { wg.Wait(); restore() }, nil
}
