package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

// listEntry is runc's `list --format json` element.
type listEntry struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

var listCommand = &cli.Command{
	Name:  "list",
	Usage: "list containers",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the ids"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, exactArgs); err != nil {
			return err
		}
		states, err := libcontainer.List(c.String("root"))
		if err != nil {
			return err
		}
		// One write for the whole output: a table cell or a line per
		// write(2) is thousands of syscalls with 500 containers.
		out := bufio.NewWriterSize(os.Stdout, 64<<10)
		if err := printList(out, c, states); err != nil {
			return err
		}
		return out.Flush()
	},
}

// printList writes the list in the asked format to out.
func printList(out *bufio.Writer, c *cli.Context, states []*libcontainer.State) error {
	if c.Bool("quiet") {
		for _, s := range states {
			fmt.Fprintln(out, s.ID)
		}
		return nil
	}
	var entries []listEntry
	for _, s := range states {
		r := s.Reported()
		entries = append(entries, listEntry{r.Version, r.ID, r.Pid, string(r.Status), r.Bundle, s.Rootfs, s.Created, r.Annotations, s.Owner})
	}
	switch c.String("format") {
	case "json":
		if entries == nil {
			entries = []listEntry{}
		}
		return json.NewEncoder(out).Encode(entries)
	case "table":
		w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, e := range entries {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", e.ID, e.Pid, e.Status, e.Bundle, e.Created.Format(time.RFC3339Nano), e.Owner)
		}
		return w.Flush()
	}
	return fmt.Errorf("list: unknown format %q (table or json)", c.String("format"))
}
