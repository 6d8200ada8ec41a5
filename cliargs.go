package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// runc parses its command line with urfave/cli v1, which moves a command's
// own flags in front of its positional arguments before parsing them
// ("runc update ID --memory 50M", "runc delete ID --force"). urfave/cli v2
// stops at the first positional argument, so rt reorders os.Args the same
// way first. The rules are v1's, quirks included, because engines and
// scripts depend on what runc accepts:
//   - only names of the command's flags (and help/h) move; anything else
//     that starts with "-" stays where it is, as a positional argument;
//   - a moved flag without "=" takes the next argument with it unless that
//     one is a flag name too, even when the flag is a bool: "kill ID -a KILL"
//     sends SIGTERM to a container named KILL, as runc's does;
//   - "--" ends the reordering; it and what follows stay after the rest.
//
// exec and ps do not reorder (runc's SkipArgReorder): what follows the id
// belongs to the process or to ps(1). Commands with SkipFlagParsing keep
// their arguments as given.
var noArgReorder = map[string]bool{"exec": true, "ps": true}

// reorderCommandArgs returns argv with the chosen command's flags moved in
// front of its positional arguments.
func reorderCommandArgs(app *cli.App, argv []string) []string {
	i := commandIndex(app.Flags, argv)
	if i < 0 {
		return argv
	}
	var cmd *cli.Command
	for _, c := range app.Commands {
		if c.HasName(argv[i]) {
			cmd = c
			break
		}
	}
	if cmd == nil || cmd.SkipFlagParsing {
		return argv
	}
	names := map[string]bool{"help": true, "h": true}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			names[n] = true
		}
	}
	args := argv[i+1:]
	if !noArgReorder[cmd.Name] {
		args = reorderArgs(names, args)
	}
	out := append([]string{}, argv[:i+1]...)
	// urfave/cli v2 takes a positional argument beside --help as a help
	// topic ("No help topic for 'ID'"); v1 shows the command's help.
	if helpRequested(cmd.Flags, args) {
		return append(out, "--help")
	}
	return append(out, args...)
}

// helpRequested says whether the flags in front of args (parsed as Go's
// flag package does: up to the first positional or "--") include -h or
// --help.
func helpRequested(flags []cli.Flag, args []string) bool {
	isBool := map[string]bool{}
	known := map[string]bool{}
	for _, f := range flags {
		_, boolean := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			known[n] = true
			isBool[n] = boolean
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			return false
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		switch {
		case name == "help" || name == "h":
			return true
		case !known[name]:
			return false
		case !isBool[name] && !hasValue:
			i++
		}
	}
	return false
}

// commandIndex finds the command name in argv: the first argument that is
// neither a global flag nor the value of one. -1 when there is none or the
// global flags are malformed (urfave/cli reports that itself).
func commandIndex(global []cli.Flag, argv []string) int {
	takesValue := map[string]bool{}
	isBool := map[string]bool{"help": true, "h": true, "version": true, "v": true}
	for _, f := range global {
		_, boolean := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			if boolean {
				isBool[n] = true
			} else {
				takesValue[n] = true
			}
		}
	}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			if i+1 < len(argv) {
				return i + 1
			}
			return -1
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return i
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case isBool[name]:
		case takesValue[name]:
			if !hasValue {
				i++
			}
		default:
			return -1
		}
	}
	return -1
}

// reorderArgs is urfave/cli v1's reordering of a command's arguments;
// flags holds the names of the command's flags.
func reorderArgs(flags map[string]bool, args []string) []string {
	isFlag := func(a string) bool {
		if a == "-" || a == "--" || !strings.HasPrefix(a, "-") {
			return false
		}
		name := strings.TrimPrefix(a, "--")
		name = strings.TrimPrefix(name, "-")
		name, _, _ = strings.Cut(name, "=")
		return flags[name]
	}
	var moved, rest []string
	valueMayFollow := false
	for i, a := range args {
		switch {
		case valueMayFollow && !isFlag(a):
			valueMayFollow = false
			moved = append(moved, a)
		case a == "--":
			rest = append(append([]string{"--"}, rest...), args[i+1:]...)
			return append(moved, rest...)
		case isFlag(a):
			moved = append(moved, a)
			valueMayFollow = !strings.Contains(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	return append(moved, rest...)
}

// Positional argument checks, with runc's wording: "Incorrect Usage." and
// the command's help on stdout, the error on stderr, exit status 1.
const (
	exactArgs = iota
	minArgs
	maxArgs
)

func checkArgs(c *cli.Context, n, kind int) error {
	var err error
	name := c.Command.Name
	switch kind {
	case exactArgs:
		if c.NArg() != n {
			err = fmt.Errorf("%q requires exactly %d argument(s)", name, n)
		}
	case minArgs:
		if c.NArg() < n {
			err = fmt.Errorf("%q requires a minimum of %d argument(s)", name, n)
		}
	case maxArgs:
		if c.NArg() > n {
			err = fmt.Errorf("%q requires a maximum of %d argument(s)", name, n)
		}
	}
	if err != nil {
		fmt.Fprint(os.Stdout, "Incorrect Usage.\n\n")
		cli.HelpPrinter(os.Stdout, cli.CommandHelpTemplate, c.Command)
	}
	return err
}
