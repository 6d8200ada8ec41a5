package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var psCommand = &cli.Command{
	Name:      "ps",
	Usage:     "list the processes of a container",
	ArgsUsage: "<container-id> [-- ps options]",
	Description: `The table format runs ps(1) with the given options (default -ef) and keeps
its header and the rows of the container's processes; json prints a JSON
array of their host pids.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err
		}
		format := c.String("format")
		if format != "table" && format != "json" {
			return fmt.Errorf("ps: --format: unknown format %q (table or json)", format)
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		pids, err := ct.Processes()
		if err != nil {
			return fmt.Errorf("ps: %w", err)
		}
		if format == "json" {
			return printPidsJSON(pids)
		}
		psArgs := c.Args().Tail()
		// urfave/cli stops parsing flags at the id, so a "--" after it stays.
		if len(psArgs) > 0 && psArgs[0] == "--" {
			psArgs = psArgs[1:]
		}
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		out, err := exec.Command("ps", psArgs...).Output()
		if err != nil {
			msg := ""
			if ee, ok := err.(*exec.ExitError); ok {
				msg = strings.TrimSpace(string(ee.Stderr))
			}
			return fmt.Errorf("ps %s: %w %s", strings.Join(psArgs, " "), err, msg)
		}
		table, err := filterPsTable(out, pids)
		if err != nil {
			return err
		}
		os.Stdout.Write(table)
		return nil
	},
}

// printPidsJSON prints the pids as a JSON array; no pids (a stopped
// container) print as null, as runc's do.
func printPidsJSON(pids []int) error {
	b, err := json.Marshal(pids)
	if err != nil {
		return fmt.Errorf("ps: encode pids: %w", err)
	}
	os.Stdout.Write(append(b, '\n'))
	return nil
}

// filterPsTable keeps ps's header line and the rows whose PID column
// holds one of pids. The column is found by name in the header, so any
// ps options that print a PID column work.
func filterPsTable(out []byte, pids []int) ([]byte, error) {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		return nil, fmt.Errorf("ps: empty output")
	}
	col := -1
	for i, f := range strings.Fields(lines[0]) {
		if f == "PID" {
			col = i
			break
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("ps: no PID column in the header %q (give ps options that print one, e.g. -o pid,cmd)", lines[0])
	}
	want := make(map[int]bool, len(pids))
	for _, p := range pids {
		want[p] = true
	}
	var b bytes.Buffer
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) <= col {
			continue
		}
		pid, err := strconv.Atoi(f[col])
		if err != nil {
			return nil, fmt.Errorf("ps: PID column of %q: %w", l, err)
		}
		if want[pid] {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes(), nil
}
