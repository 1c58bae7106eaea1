package meta

import (
	"fmt"
	"strings"
)

// Triggers are the --rerun-triggers: what besides a missing output, an
// upstream change or an incomplete mark makes a job stale.
type Triggers struct {
	Mtime   bool // an input newer than an output
	Params  bool // params changed since the output was made
	Input   bool // the input list changed
	Code    bool // the shell command or script text changed
	Content bool // with Mtime: a newer input whose content is unchanged does not count
}

// DefaultTriggers are all triggers but Content, as in Snakemake 7.
var DefaultTriggers = Triggers{Mtime: true, Params: true, Input: true, Code: true}

var triggerNames = []string{"mtime", "params", "input", "code", "content"}

// ParseTriggers parses a comma separated list such as
// "mtime,params,input,code,content".
func ParseTriggers(s string) (Triggers, error) {
	var t Triggers
	n := 0
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		n++
		switch strings.ToLower(name) {
		case "mtime":
			t.Mtime = true
		case "params":
			t.Params = true
		case "input":
			t.Input = true
		case "code":
			t.Code = true
		case "content":
			t.Content = true
		default:
			return Triggers{}, fmt.Errorf("unknown rerun trigger %q (valid: %s)", name, strings.Join(triggerNames, ", "))
		}
	}
	if n == 0 {
		return Triggers{}, fmt.Errorf("no rerun trigger given (valid: %s)", strings.Join(triggerNames, ", "))
	}
	return t, nil
}

// String lists the triggers that are on, in ParseTriggers' syntax.
func (t Triggers) String() string {
	var on []string
	for i, b := range []bool{t.Mtime, t.Params, t.Input, t.Code, t.Content} {
		if b {
			on = append(on, triggerNames[i])
		}
	}
	return strings.Join(on, ",")
}
