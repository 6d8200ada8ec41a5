package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestReorderCommandArgs(t *testing.T) {
	app := newApp()
	for _, tt := range []struct{ in, want string }{
		{"rt update ID --memory 50M", "rt update --memory 50M ID"},
		{"rt update ID --memory=50M --pids-limit 5", "rt update --memory=50M --pids-limit 5 ID"},
		{"rt --root /r delete ID --force", "rt --root /r delete --force ID"},
		{"rt --root=/r --debug delete ID -f", "rt --root=/r --debug delete -f ID"},
		// v1's quirk: a moved bool flag takes the next argument along.
		{"rt kill ID -a KILL", "rt kill -a KILL ID"},
		{"rt kill ID KILL -a", "rt kill -a ID KILL"},
		// Unknown flags stay as positional arguments.
		{"rt state ID --foo", "rt state ID --foo"},
		{"rt state ID --help", "rt state --help"},
		{"rt kill ID -h KILL", "rt kill --help"},
		{"rt exec --help ID sh", "rt exec --help"},
		{"rt exec ID --help", "rt exec ID --help"},
		// --help as the value of --bundle is no help request.
		{"rt create ID --bundle --help", "rt create --bundle --help ID"},
		// "--" ends the reordering and goes before the other positionals.
		{"rt delete ID -- --force", "rt delete -- ID --force"},
		// exec and ps keep what follows the id.
		{"rt exec ID --env A=b sh", "rt exec ID --env A=b sh"},
		{"rt ps ID -o pid", "rt ps ID -o pid"},
		{"rt --root /r exec -t ID sh -c x", "rt --root /r exec -t ID sh -c x"},
		// No command, or a malformed global part: left to urfave/cli.
		{"rt --root", "rt --root"},
		{"rt --nosuch delete ID -f", "rt --nosuch delete ID -f"},
		{"rt nosuch ID -f", "rt nosuch ID -f"},
	} {
		got := strings.Join(reorderCommandArgs(app, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReorderArgsEmpty(t *testing.T) {
	if got := reorderArgs(map[string]bool{"x": true}, nil); len(got) != 0 {
		t.Errorf("got %q", got)
	}
	if got := reorderArgs(map[string]bool{"x": true}, []string{"-", "a"}); !reflect.DeepEqual(got, []string{"-", "a"}) {
		t.Errorf("got %q", got)
	}
}
