package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
)

// NewSpec is the default way a job becomes a Spec: its command or script,
// log, outputs, threads and resources, run in dir. For a script, JobJSON
// holds the job without "config", which rules.Job does not carry; a caller that has the
// workflow sets it with JobJSON(j.Spec, wf.Config) (see Options.SpecFor).
func NewSpec(j *dag.Job, dir string) Spec {
	s := Spec{Name: JobName(j), Dir: dir, Threads: 1}
	rj := j.Spec
	if rj == nil {
		return s
	}
	s.Command = rj.Shell
	s.Script = rj.Script
	if len(rj.Log) > 0 {
		// One stream, one file: stdout and stderr go to the first log.
		s.Log = rj.Log[0].Path
	}
	for _, o := range rj.Outputs {
		s.Outputs = append(s.Outputs, o.Path)
	}
	s.Benchmark = rj.Benchmark
	if rj.Threads > 0 {
		s.Threads = rj.Threads
	}
	s.Resources = rj.Resources
	s.ResourceText = rj.ResourceText
	if rj.Script != "" {
		// Only scripts read the JSON; encoding it for every shell job
		// would cost more than scheduling it. Should params not encode,
		// the script gets the rest.
		s.JobJSON, _ = JobJSON(rj, cty.NilVal)
	}
	return s
}

// JobName is how messages name a job: "rule (k=v, ...)", wildcards sorted,
// or just the rule name when it has none.
func JobName(j *dag.Job) string {
	if j.Spec == nil || j.Spec.Rule == nil {
		return j.Key
	}
	if len(j.Spec.Wildcards) == 0 {
		return j.Spec.Rule.Name
	}
	return j.Spec.Rule.Name + " (" + wildcardText(j.Spec.Wildcards, ", ") + ")"
}

// wildcardText renders wildcards as sorted k=v pairs joined by sep.
func wildcardText(w map[string]string, sep string) string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(w[k])
	}
	return b.String()
}

// jobJSON is the document a script finds at $FLOWMAKE_JOB. Named inputs
// and outputs also appear, in order, in the plain lists; in the named
// objects a name with one path maps to a string, with several to a list,
// the way ${input.reads} reads in the Rulefile.
type jobJSON struct {
	Rule        string            `json:"rule"`
	Wildcards   map[string]string `json:"wildcards"`
	Input       []string          `json:"input"`
	Output      []string          `json:"output"`
	NamedInput  map[string]any    `json:"named_input"`
	NamedOutput map[string]any    `json:"named_output"`
	Params      json.RawMessage   `json:"params"`
	Threads     int               `json:"threads"`
	Resources   map[string]any    `json:"resources"`
	Log         []string          `json:"log"`
	Config      json.RawMessage   `json:"config,omitempty"`
}

// JobJSON encodes a job for its script. config is the workflow's config
// object; cty.NilVal leaves "config" out.
func JobJSON(j *rules.Job, config cty.Value) ([]byte, error) {
	doc := jobJSON{
		Wildcards:   j.Wildcards,
		Input:       paths(j.Inputs),
		Output:      paths(j.Outputs),
		NamedInput:  named(j.Inputs),
		NamedOutput: named(j.Outputs),
		Params:      json.RawMessage("{}"),
		Threads:     j.Threads,
		Resources:   map[string]any{},
		Log:         paths(j.Log),
	}
	if j.Rule != nil {
		doc.Rule = j.Rule.Name
	}
	if doc.Wildcards == nil {
		doc.Wildcards = map[string]string{}
	}
	for k, v := range j.ResourceText {
		doc.Resources[k] = v
	}
	for k, v := range j.Resources {
		doc.Resources[k] = v
	}
	var errs []error
	if p, err := ctyToJSON(j.Params); err != nil {
		errs = append(errs, fmt.Errorf("encode params: %w", err))
	} else if p != nil {
		doc.Params = p
	}
	if c, err := ctyToJSON(config); err != nil {
		errs = append(errs, fmt.Errorf("encode config: %w", err))
	} else {
		doc.Config = c
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return b, errors.Join(errs...)
}

// ctyToJSON encodes a value; nil for cty.NilVal or null.
func ctyToJSON(v cty.Value) (json.RawMessage, error) {
	if v == cty.NilVal || v.IsNull() {
		return nil, nil
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return nil, fmt.Errorf("value is not known")
	}
	return ctyjson.Marshal(v, v.Type())
}

func paths(ps []rules.Path) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Path)
	}
	return out
}

func named(ps []rules.Path) map[string]any {
	lists := map[string][]string{}
	for _, p := range ps {
		if p.Name != "" {
			lists[p.Name] = append(lists[p.Name], p.Path)
		}
	}
	out := make(map[string]any, len(lists))
	for k, l := range lists {
		if len(l) == 1 {
			out[k] = l[0]
		} else {
			out[k] = l
		}
	}
	return out
}
