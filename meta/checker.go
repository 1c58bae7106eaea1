package meta

import (
	"os"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
	"github.com/flowmake/flowmake/workdir"
)

// Checker refines the timestamp verdict with what the store knows; it is
// the dag.Checker the CLI passes to dag.Build. Checks share the store's
// read transaction (see Store.Get). It is safe for concurrent use.
//
// The rules, per job (outputs relative to dir):
//   - An existing output with an incomplete mark: Incomplete, whatever the
//     triggers and the timestamp verdict (save PendingCheckpoint and
//     NoOutputs, which dag owns).
//   - MissingOutput, UpstreamChanged, Forced: unchanged.
//   - InputNewer: dropped without the mtime trigger. With the content
//     trigger, dropped when the record has the inputs' hashes, the input
//     list is the same, and every input newer than an output has the size
//     and hash recorded when that output was made.
//   - Then, per output with a record: code trigger and another CodeHash:
//     CodeChanged; params trigger and another ParamsHash: ParamsChanged;
//     input trigger and another set of inputs: InputListChanged with the
//     first added (else removed) input. Path is the output for the first
//     two.
//   - Outputs without a record (made by hand, or before the store) keep
//     the timestamp verdict.
type Checker struct {
	s   *Store
	t   Triggers
	dir workdir.Dir

	mu      sync.Mutex
	scripts map[string]string        // script path -> CodeHash of its text
	shells  map[*rules.Rule]ruleHash // rule -> CodeHash of its shell template
	err     error
}

// ruleHash is the hash of a rule's shell template, with the template it
// was computed from: a rule edited in place is hashed again.
type ruleHash struct {
	source string
	sum    [16]byte
}

// NewChecker returns a checker over s with the triggers t. dir is the
// working directory that the jobs' paths and script paths are relative to.
func NewChecker(s *Store, t Triggers, dir string) *Checker {
	return &Checker{s: s, t: t, dir: workdir.Dir(dir), scripts: make(map[string]string), shells: make(map[*rules.Rule]ruleHash)}
}

// Err returns the first store error a Check met. Check cannot return
// errors (dag.Checker), so it keeps the timestamp verdict for that job and
// records the error here: the CLI should check Err after dag.Build and
// stop on a *CorruptError rather than run on half the truth.
func (c *Checker) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Checker) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// Check implements dag.Checker.
func (c *Checker) Check(j *dag.Job, byTime dag.Reason) dag.Reason {
	if j == nil || j.Spec == nil || len(j.Spec.Outputs) == 0 {
		return byTime
	}
	switch byTime.Kind {
	case dag.PendingCheckpoint, dag.NoOutputs:
		return byTime
	}
	var out dag.Reason
	err := c.s.shared(func(r *Reader) error {
		var err error
		out, err = c.check(r, j, byTime)
		return err
	})
	if err != nil {
		c.fail(err)
		return byTime
	}
	return out
}

func (c *Checker) check(r *Reader, j *dag.Job, byTime dag.Reason) (dag.Reason, error) {
	spec := j.Spec
	for i := range spec.Outputs {
		p := spec.Outputs[i].Path
		inc, err := r.Incomplete(p)
		if err != nil {
			return byTime, err
		}
		// Only an existing file can be cut short; a missing one is
		// simply missing.
		if inc && c.exists(p) {
			return dag.Reason{Kind: dag.Incomplete, Path: p}, nil
		}
	}
	switch byTime.Kind {
	case dag.UpToDate:
	case dag.InputNewer:
		if c.t.Mtime {
			if !c.t.Content {
				return byTime, nil
			}
			same, err := c.contentSame(r, spec)
			if err != nil || !same {
				return byTime, err
			}
		}
	default:
		return byTime, nil
	}
	if !c.t.Code && !c.t.Params && !c.t.Input {
		return dag.Reason{}, nil
	}

	var h jobHashes
	for i := range spec.Outputs {
		p := spec.Outputs[i].Path
		var why dag.Reason
		_, err := r.view(p, func(v recordView) { why = c.compare(spec, p, &v, &h) })
		if err != nil {
			return byTime, err
		}
		if why.Kind != dag.UpToDate {
			return why, nil
		}
	}
	return dag.Reason{}, nil
}

// jobHashes are a job's code and params hashes, computed when the first
// record is compared with them.
type jobHashes struct {
	code, params         [16]byte
	haveCode, haveParams bool
}

// compare applies the code, params and input triggers to the record of
// output p; the zero Reason means the record agrees with the job. It
// compares the record in place: hashes as bytes, and the input list
// element by element, copying it only to name a difference.
func (c *Checker) compare(spec *rules.Job, p string, v *recordView, h *jobHashes) dag.Reason {
	if c.t.Code {
		if !h.haveCode {
			h.code, h.haveCode = c.codeSum(spec), true
		}
		if string(v.codeHash) != string(h.code[:]) {
			return dag.Reason{Kind: dag.CodeChanged, Path: p}
		}
	}
	if c.t.Params {
		if !h.haveParams {
			h.params, h.haveParams = hex16(paramsSum(spec.Params)), true
		}
		if string(v.paramsHash) != string(h.params[:]) {
			return dag.Reason{Kind: dag.ParamsChanged, Path: p}
		}
	}
	if c.t.Input && !sameInputs(v, spec.Inputs) {
		if d, changed := listChange(v.inputList(), inputPaths(spec)); changed {
			return dag.Reason{Kind: dag.InputListChanged, Path: d}
		}
	}
	return dag.Reason{}
}

// sameInputs is listChange's fast path without its copies: whether the
// recorded inputs are the job's, in order. An input equal to the job's
// path as written is equal to it cleaned too (key), so Clean runs only on
// paths that differ as written. False means listChange must decide.
func sameInputs(v *recordView, inputs []rules.Path) bool {
	if v.nInputs != len(inputs) {
		return false
	}
	d := viewDecoder(v.inputs)
	for i := range inputs {
		was := d.raw()
		if now := inputs[i].Path; string(was) != now && string(was) != key(now) {
			return false
		}
	}
	return d.end() == nil
}

func (c *Checker) exists(p string) bool {
	_, err := os.Stat(c.dir.Path(p))
	return err == nil
}

// contentSame reports whether every input newer than an output has the
// content recorded when that output was made.
func (c *Checker) contentSame(r *Reader, spec *rules.Job) (bool, error) {
	inputs := inputPaths(spec)
	stats := make(map[string]os.FileInfo, len(inputs))
	for i := range spec.Outputs {
		p := spec.Outputs[i].Path
		rec, ok, err := r.Get(p)
		if err != nil || !ok || rec.InputHashes == nil {
			return false, err
		}
		if _, changed := listChange(rec.Inputs, inputs); changed {
			return false, nil
		}
		ofi, err := os.Stat(c.dir.Path(p))
		if err != nil {
			return false, nil
		}
		for k := range spec.Inputs {
			in := &spec.Inputs[k]
			if in.Flags&rules.Ancient != 0 {
				continue
			}
			ifi, seen := stats[in.Path]
			if !seen {
				ifi, _ = os.Stat(c.dir.Path(in.Path))
				stats[in.Path] = ifi
			}
			if ifi == nil {
				return false, nil // missing (a deleted temp file): cannot vouch
			}
			if !ifi.ModTime().After(ofi.ModTime()) {
				continue
			}
			want, ok := rec.InputHashes[key(in.Path)]
			if !ok || want.Size != ifi.Size() {
				return false, nil
			}
			got, err := c.s.hashAt(r, key(in.Path), c.dir.Path(in.Path))
			if err != nil || got.Sum != want.Sum {
				return false, nil
			}
		}
	}
	return true, nil
}

// codeHash is the CodeHash of the job's code: the shell template as
// written in the Rulefile, or the script's text, read once per script and
// checker. As in Snakemake, the code is what the author wrote: a changed
// param or input list is reported as such, not as changed code.
func (c *Checker) codeHash(spec *rules.Job) string {
	if spec.Script == "" {
		return shellHash(spec)
	}
	c.mu.Lock()
	h, ok := c.scripts[spec.Script]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = scriptHash(c.dir, spec.Script)
	c.mu.Lock()
	c.scripts[spec.Script] = h
	c.mu.Unlock()
	return h
}

// scriptHash hashes a script's text, or its path when it cannot be read
// (the job will fail on it anyway).
func scriptHash(dir workdir.Dir, script string) string {
	b, err := os.ReadFile(dir.Path(script))
	if err != nil {
		return CodeHash("script: " + script)
	}
	return CodeHash(string(b))
}

func inputPaths(spec *rules.Job) []string {
	out := make([]string, len(spec.Inputs))
	for i := range spec.Inputs {
		out[i] = key(spec.Inputs[i].Path)
	}
	return out
}

// listChange compares two input lists as sets and names the first input
// of now that was not in was, else the first of was that is not in now.
func listChange(was, now []string) (string, bool) {
	if len(was) == len(now) {
		same := true
		for i := range was {
			if was[i] != now[i] {
				same = false
				break
			}
		}
		if same {
			return "", false // the common case, without maps
		}
	}
	old := make(map[string]bool, len(was))
	for _, p := range was {
		old[key(p)] = true
	}
	cur := make(map[string]bool, len(now))
	for _, p := range now {
		cur[p] = true
		if !old[p] {
			return p, true
		}
	}
	for _, p := range was {
		if !cur[key(p)] {
			return p, true
		}
	}
	return "", false
}

var _ dag.FinishTimes = (*Checker)(nil)

// FinishTime implements dag.FinishTimes: when the job that made output
// last finished (Record.End), which dag uses for directory() outputs,
// whose mtime changes whenever a file inside is added or removed. A
// store error is kept for Err, as Check's are, and reads as no record.
func (c *Checker) FinishTime(output string) (time.Time, bool) {
	rec, ok, err := c.s.Get(output)
	if err != nil {
		c.fail(err)
		return time.Time{}, false
	}
	if !ok || rec.End.IsZero() {
		return time.Time{}, false
	}
	return rec.End, true
}

// Record returns the record of a job that has just succeeded, to pass to
// Store.Finish: like NewRecord, with the code hash this checker judged the
// job by (a script edited during the run then reruns next time) and, with
// the content trigger, the inputs' content hashes.
func (c *Checker) Record(j *dag.Job, start, end time.Time, exit int, version string) Record {
	rec := newRecord(j.Spec, c.codeHash(j.Spec), start, end, exit, version)
	if c.t.Content {
		rec.InputHashes = c.s.hashInputs(c.dir, rec.Inputs)
	}
	return rec
}

// NewRecord returns the record of a job that has just succeeded; dir is
// the working directory its script path is relative to. It leaves
// InputHashes empty: see Checker.Record and Store.HashInputs.
func NewRecord(j *dag.Job, dir string, start, end time.Time, exit int, version string) Record {
	code := shellHash(j.Spec)
	if j.Spec.Script != "" {
		code = scriptHash(workdir.Dir(dir), j.Spec.Script)
	}
	return newRecord(j.Spec, code, start, end, exit, version)
}

func newRecord(spec *rules.Job, code string, start, end time.Time, exit int, version string) Record {
	rec := Record{
		CodeHash:   code,
		ParamsHash: ParamsHash(spec.Params),
		Inputs:     inputPaths(spec),
		Start:      start,
		End:        end,
		ExitStatus: exit,
		Version:    version,
	}
	if spec.Rule != nil {
		rec.Rule = spec.Rule.Name
	}
	if len(spec.Wildcards) > 0 {
		rec.Wildcards = make(map[string]string, len(spec.Wildcards))
		for k, v := range spec.Wildcards {
			rec.Wildcards[k] = v
		}
	}
	return rec
}

// codeSum is codeHash as the bytes of the hash, without allocating: a
// rule's shell template is hashed once per rule (all its jobs share it).
func (c *Checker) codeSum(spec *rules.Job) (sum [16]byte) {
	rule := spec.Rule
	switch {
	case spec.Script != "":
		copy(sum[:], c.codeHash(spec))
		return sum
	case rule == nil || !rule.HasShell:
		return hex16(xxhash.Sum64String(spec.Shell)) // shellHash's fallback
	}
	c.mu.Lock()
	h, ok := c.shells[rule]
	c.mu.Unlock()
	if !ok || h.source != rule.ShellSource {
		h = ruleHash{rule.ShellSource, hex16(xxhash.Sum64String(rule.ShellSource))}
		c.mu.Lock()
		c.shells[rule] = h
		c.mu.Unlock()
	}
	return h.sum
}

// shellHash hashes the rule's shell template; a job made without a rule
// (tests) falls back to its rendered command.
func shellHash(spec *rules.Job) string {
	if spec.Rule != nil && spec.Rule.HasShell {
		return CodeHash(spec.Rule.ShellSource)
	}
	return CodeHash(spec.Shell)
}
