package exec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
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
	s := Spec{Name: j.String(), Dir: dir, Threads: 1}
	rj := j.Spec
	if rj == nil {
		return s
	}
	if rj.Rule != nil {
		s.Rule = rj.Rule.Name
	}
	s.Command = rj.Shell
	s.Script = rj.Script
	for _, l := range rj.Log {
		s.Logs = append(s.Logs, l.Path)
	}
	s.Capture = CapturePath(j)
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

// CaptureDir is where, relative to the working directory, flowmake keeps
// the captured output of each job.
const CaptureDir = ".flowmake/log"

// maxCaptureName bounds a capture file's name; a longer one is cut and
// made unique with a hash of the whole.
const maxCaptureName = 200

// CapturePath is the file that holds the output of job j's latest run,
// relative to the working directory: .flowmake/log/RULE.log for a rule
// without wildcards, else .flowmake/log/RULE/k=v,k=v.log (sorted; "/"
// and "%" in values written %2F and %25, so every job has its own file).
func CapturePath(j *dag.Job) string {
	if j.Spec == nil || j.Spec.Rule == nil {
		return path.Join(CaptureDir, escapeName(j.Key)+".log")
	}
	rule := j.Spec.Rule.Name
	if len(j.Spec.Wildcards) == 0 {
		return path.Join(CaptureDir, rule+".log")
	}
	return path.Join(CaptureDir, rule, escapeName(rules.JoinWildcards(j.Spec.Wildcards, ",", false))+".log")
}

// nameEscaper is built once: building a Replacer costs more than using it.
var nameEscaper = strings.NewReplacer("%", "%25", "/", "%2F", "\x00", "%00")

func escapeName(s string) string {
	s = nameEscaper.Replace(s)
	if s == "" || s == "." || s == ".." {
		s = "%" + s
	}
	if len(s) > maxCaptureName {
		sum := sha256.Sum256([]byte(s))
		s = s[:maxCaptureName-17] + "-" + hex.EncodeToString(sum[:8])
	}
	return s
}

// jobJSON is the document a script finds at $FLOWMAKE_JOB (every key is
// described in docs/rulefile.md). Named inputs, outputs and logs also
// appear, in order, in the plain lists; in the named objects a name
// written as one string maps to a string, one written as a list to a
// list, as input.reads reads in the Rulefile. Objects keep the order the
// author wrote (Python's json keeps document order), so a script reading
// snakemake.params[0] gets the first param.
type jobJSON struct {
	Rule        string          `json:"rule"`
	Wildcards   object          `json:"wildcards"`
	Input       []string        `json:"input"`
	Output      []string        `json:"output"`
	NamedInput  object          `json:"named_input"`
	NamedOutput object          `json:"named_output"`
	NamedLog    object          `json:"named_log"`
	Params      json.RawMessage `json:"params"`
	Threads     int             `json:"threads"`
	Resources   object          `json:"resources"`
	Log         []string        `json:"log"`
	Benchmark   string          `json:"benchmark,omitempty"`
	Config      json.RawMessage `json:"config,omitempty"`
}

// object is a JSON object that keeps its members in the order given.
type object []member

type member struct {
	key string
	val any
}

func (o object) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.val)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// JobJSON encodes a job for its script. config is the workflow's config
// object; cty.NilVal leaves "config" out.
func JobJSON(j *rules.Job, config cty.Value) ([]byte, error) {
	doc := jobJSON{
		Wildcards:   wildcardObject(j),
		Input:       paths(j.Inputs),
		Output:      paths(j.Outputs),
		NamedInput:  named(j.Inputs, j.InputShape),
		NamedOutput: named(j.Outputs, j.OutputShape),
		NamedLog:    named(j.Log, j.LogShape),
		Params:      json.RawMessage("{}"),
		Threads:     j.Threads,
		Resources:   object{},
		Log:         paths(j.Log),
		Benchmark:   j.Benchmark,
	}
	if j.Rule != nil {
		doc.Rule = j.Rule.Name
	}
	for _, k := range slices.Sorted(maps.Keys(j.Resources)) {
		doc.Resources = append(doc.Resources, member{k, j.Resources[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(j.ResourceText)) {
		doc.Resources = append(doc.Resources, member{k, j.ResourceText[k]})
	}
	var errs []error
	var order []string
	if j.Rule != nil {
		order = j.Rule.ParamOrder()
	}
	if p, err := orderedJSON(j.Params, order); err != nil {
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

// wildcardObject is the job's wildcards in the order the rule's outputs
// name them, then any others sorted.
func wildcardObject(j *rules.Job) object {
	o := object{}
	seen := map[string]bool{}
	if j.Rule != nil {
		for _, k := range j.Rule.Wildcards() {
			if v, ok := j.Wildcards[k]; ok {
				o = append(o, member{k, v})
				seen[k] = true
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(j.Wildcards)) {
		if !seen[k] {
			o = append(o, member{k, j.Wildcards[k]})
		}
	}
	return o
}

// orderedJSON encodes an object value with the names in order first,
// the rest sorted; nil for cty.NilVal or null.
func orderedJSON(v cty.Value, order []string) (json.RawMessage, error) {
	if v == cty.NilVal || v.IsNull() {
		return nil, nil
	}
	v, _ = v.UnmarkDeep()
	if !v.Type().IsObjectType() || len(order) == 0 {
		return ctyToJSON(v)
	}
	if !v.IsWhollyKnown() {
		return nil, fmt.Errorf("value is not known")
	}
	attrs := v.AsValueMap()
	o := object{}
	seen := map[string]bool{}
	add := func(k string) error {
		av, ok := attrs[k]
		if !ok || seen[k] {
			return nil
		}
		seen[k] = true
		raw, err := ctyjson.Marshal(av, av.Type())
		if err != nil {
			return err
		}
		o = append(o, member{k, json.RawMessage(raw)})
		return nil
	}
	for _, k := range append(order, slices.Sorted(maps.Keys(attrs))...) {
		if err := add(k); err != nil {
			return nil, err
		}
	}
	return o.MarshalJSON()
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

// named is a named input, output or log as written: with its shape, each
// name in order, a string when written as one, else a list (perhaps
// empty); without one (a job made by hand), a name with one path is a
// string and with several a list.
func named(ps []rules.Path, sh *rules.Shape) object {
	lists := map[string][]string{}
	var order []string
	for _, p := range ps {
		if p.Name == "" {
			continue
		}
		if _, ok := lists[p.Name]; !ok {
			order = append(order, p.Name)
		}
		lists[p.Name] = append(lists[p.Name], p.Path)
	}
	if sh != nil {
		order = sh.Names
	}
	out := object{}
	for _, k := range order {
		l := lists[k]
		single := len(l) == 1
		if sh != nil {
			single = sh.Single[k] && len(l) == 1
		}
		if single {
			out = append(out, member{k, l[0]})
		} else {
			out = append(out, member{k, append([]string{}, l...)})
		}
	}
	return out
}
