package meta

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	bolt "go.etcd.io/bbolt"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
)

// fixture is a working directory with a store, and files whose mtimes are
// whole seconds after base (an hour ago: outside the hash cache's racy
// window).
type fixture struct {
	t    *testing.T
	root string
	s    *Store
	base time.Time
}

func newFixture(t *testing.T) *fixture {
	root := t.TempDir()
	f := &fixture{t: t, root: root, s: openStore(t, filepath.Join(root, ".flowmake"), OpenOptions{}),
		base: time.Now().Add(-time.Hour).Truncate(time.Second)}
	f.file("in.txt", "1\n2\n3\n", 1)
	f.file("ref.txt", "ACGT", 1)
	f.file("scripts/run.sh", "#!/bin/sh\nwc -l\n", 1)
	f.file("out/a.txt", "3\n", 2)
	return f
}

func (f *fixture) file(path, content string, at int) {
	writeOld(f.t, filepath.Join(f.root, path), content, f.base.Add(time.Duration(at)*time.Second))
}

func (f *fixture) touch(path string, at int) {
	tm := f.base.Add(time.Duration(at) * time.Second)
	must(f.t, os.Chtimes(filepath.Join(f.root, path), tm, tm))
}

// record finishes j as a run would: with input hashes when content is set.
func (f *fixture) record(j *dag.Job, content bool) {
	c := NewChecker(f.s, Triggers{Content: content}, f.root)
	rec := c.Record(j, f.base, f.base.Add(time.Second), 0, "test")
	var outs []string
	for _, o := range j.Spec.Outputs {
		outs = append(outs, o.Path)
	}
	must(f.t, f.s.Finish(outs, rec))
	must(f.t, f.s.Sync()) // committed before a test writes around the queue
}

func paths(ps ...string) []rules.Path {
	out := make([]rules.Path, len(ps))
	for i, p := range ps {
		out[i] = rules.Path{Path: p}
	}
	return out
}

func countJob() *dag.Job {
	return &dag.Job{
		Key: "count (sample=a)",
		Spec: &rules.Job{
			Rule:      &rules.Rule{Name: "count"},
			Wildcards: map[string]string{"sample": "a"},
			Inputs:    paths("in.txt", "ref.txt"),
			Outputs:   paths("out/a.txt"),
			Params:    cty.ObjectVal(map[string]cty.Value{"min": cty.NumberIntVal(3)}),
			Shell:     "wc -l in.txt > out/a.txt",
		},
	}
}

func TestChecker(t *testing.T) {
	var (
		upToDate   = dag.Reason{}
		inputNewer = dag.Reason{Kind: dag.InputNewer, Path: "in.txt"}
		forced     = dag.Reason{Kind: dag.Forced}
		upstream   = dag.Reason{Kind: dag.UpstreamChanged, Path: "in.txt"}
		missing    = dag.Reason{Kind: dag.MissingOutput, Path: "out/b.txt"}
		pending    = dag.Reason{Kind: dag.PendingCheckpoint, Path: "split"}
		incomplete = dag.Reason{Kind: dag.Incomplete, Path: "out/a.txt"}
		codeChg    = dag.Reason{Kind: dag.CodeChanged, Path: "out/a.txt"}
		paramsChg  = dag.Reason{Kind: dag.ParamsChanged, Path: "out/a.txt"}
		all        = Triggers{Mtime: true, Params: true, Input: true, Code: true, Content: true}
		noMtime    = Triggers{Params: true, Input: true, Code: true}
	)
	recorded := func(f *fixture, j *dag.Job) { f.record(j, false) }
	hashed := func(f *fixture, j *dag.Job) { f.record(j, true) }
	then := func(steps ...func(f *fixture, j *dag.Job)) func(f *fixture, j *dag.Job) {
		return func(f *fixture, j *dag.Job) {
			for _, s := range steps {
				s(f, j)
			}
		}
	}
	newShell := func(_ *fixture, j *dag.Job) { j.Spec.Shell = "wc -w in.txt > out/a.txt" }
	newParams := func(_ *fixture, j *dag.Job) {
		j.Spec.Params = cty.ObjectVal(map[string]cty.Value{"min": cty.NumberIntVal(4)})
	}
	addInput := func(_ *fixture, j *dag.Job) { j.Spec.Inputs = paths("in.txt", "new.txt", "ref.txt") }
	dropInput := func(_ *fixture, j *dag.Job) { j.Spec.Inputs = paths("in.txt") }
	reorder := func(_ *fixture, j *dag.Job) { j.Spec.Inputs = paths("ref.txt", "./in.txt") }
	mark := func(f *fixture, j *dag.Job) { must(f.t, f.s.MarkIncomplete([]string{"out/a.txt"}, j.Key)) }
	touchIn := func(f *fixture, _ *dag.Job) { f.touch("in.txt", 3) }
	rewriteIn := func(f *fixture, _ *dag.Job) { f.file("in.txt", "4\n5\n6\n", 3) } // same size
	growIn := func(f *fixture, _ *dag.Job) { f.file("in.txt", "1\n2\n3\n4\n", 3) }
	useScript := func(_ *fixture, j *dag.Job) { j.Spec.Shell, j.Spec.Script = "", "scripts/run.sh" }
	editScript := func(f *fixture, _ *dag.Job) { f.file("scripts/run.sh", "#!/bin/sh\nwc -w\n", 1) }
	secondOutput := func(_ *fixture, j *dag.Job) { j.Spec.Outputs = paths("out/a.txt", "out/b.txt") }
	markB := func(f *fixture, j *dag.Job) { must(f.t, f.s.MarkIncomplete([]string{"out/b.txt"}, j.Key)) }

	for _, tc := range []struct {
		name    string
		t       Triggers
		prepare func(f *fixture, j *dag.Job) // record, then change the job or the files
		byTime  dag.Reason
		want    dag.Reason
	}{
		// No record: the timestamps rule.
		{"no record, up to date", DefaultTriggers, nil, upToDate, upToDate},
		{"no record, input newer", DefaultTriggers, nil, inputNewer, inputNewer},
		{"no record, content on", all, touchIn, inputNewer, inputNewer},

		// Records and the code/params/input triggers.
		{"record matches", DefaultTriggers, recorded, upToDate, upToDate},
		{"code changed", DefaultTriggers, then(recorded, newShell), upToDate, codeChg},
		{"code changed, trigger off", Triggers{Mtime: true, Params: true, Input: true}, then(recorded, newShell), upToDate, upToDate},
		{"params changed", DefaultTriggers, then(recorded, newParams), upToDate, paramsChg},
		{"params changed, trigger off", Triggers{Mtime: true, Code: true, Input: true}, then(recorded, newParams), upToDate, upToDate},
		{"input added", DefaultTriggers, then(recorded, addInput), upToDate, dag.Reason{Kind: dag.InputListChanged, Path: "new.txt"}},
		{"input removed", DefaultTriggers, then(recorded, dropInput), upToDate, dag.Reason{Kind: dag.InputListChanged, Path: "ref.txt"}},
		{"inputs reordered", DefaultTriggers, then(recorded, reorder), upToDate, upToDate},
		{"input list, trigger off", Triggers{Mtime: true, Code: true, Params: true}, then(recorded, addInput), upToDate, upToDate},
		{"code checked before params", DefaultTriggers, then(recorded, newParams, newShell), upToDate, codeChg},

		// Scripts: the text counts, not the path.
		{"script unchanged", DefaultTriggers, then(useScript, recorded), upToDate, upToDate},
		{"script edited", DefaultTriggers, then(useScript, recorded, editScript), upToDate, codeChg},
		{"unreadable script", DefaultTriggers, then(func(_ *fixture, j *dag.Job) { j.Spec.Script = "scripts/gone.py" }, recorded), upToDate, upToDate},

		// Incomplete marks win over everything but dag's own kinds.
		{"incomplete", DefaultTriggers, then(recorded, mark), upToDate, incomplete},
		{"incomplete without record", DefaultTriggers, mark, upToDate, incomplete},
		{"incomplete, no triggers", Triggers{}, mark, upToDate, incomplete},
		{"incomplete over forced", DefaultTriggers, mark, forced, incomplete},
		{"incomplete over input newer", all, then(hashed, mark, touchIn), inputNewer, incomplete},
		{"incomplete mark of a missing output", DefaultTriggers, then(secondOutput, markB), missing, missing},
		{"pending checkpoint kept", DefaultTriggers, mark, pending, pending},

		// Verdicts the checker leaves alone.
		{"forced", DefaultTriggers, then(recorded, newShell), forced, forced},
		{"upstream changed", DefaultTriggers, then(recorded, newShell), upstream, upstream},
		{"missing output", DefaultTriggers, then(recorded, newShell), missing, missing},
		{"input newer wins over code", DefaultTriggers, then(recorded, newShell), inputNewer, inputNewer},

		// Without the mtime trigger, newer inputs do not count.
		{"mtime off", noMtime, then(recorded, touchIn), inputNewer, upToDate},
		{"mtime off, code changed", noMtime, then(recorded, touchIn, newShell), inputNewer, codeChg},

		// The content trigger.
		{"content: touched, same content", all, then(hashed, touchIn), inputNewer, upToDate},
		{"content: same size, other content", all, then(hashed, rewriteIn), inputNewer, inputNewer},
		{"content: other size", all, then(hashed, growIn), inputNewer, inputNewer},
		{"content: record without hashes", all, then(recorded, touchIn), inputNewer, inputNewer},
		{"content: input list changed", all, then(hashed, touchIn, dropInput), inputNewer, inputNewer},
		{"content: touched, code changed", all, then(hashed, touchIn, newShell), inputNewer, codeChg},
		{"content: input deleted", all, then(hashed, func(f *fixture, _ *dag.Job) { os.Remove(filepath.Join(f.root, "in.txt")) }), inputNewer, inputNewer},
		{"content: ancient input ignored", all, then(hashed, growIn, func(_ *fixture, j *dag.Job) { j.Spec.Inputs[0].Flags = rules.Ancient }), inputNewer, upToDate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			j := countJob()
			if tc.prepare != nil {
				tc.prepare(f, j)
			}
			c := NewChecker(f.s, tc.t, f.root)
			if got := c.Check(j, tc.byTime); got != tc.want {
				t.Errorf("Check(%v) = %v (%q), want %v (%q)", tc.byTime, got, got.Path, tc.want, tc.want.Path)
			}
			if err := c.Err(); err != nil {
				t.Errorf("Err: %v", err)
			}
		})
	}
}

func TestCheckerRecord(t *testing.T) {
	f := newFixture(t)
	j := countJob()
	j.Spec.Script, j.Spec.Shell = "scripts/run.sh", ""
	start, end := f.base, f.base.Add(time.Minute)

	plain := NewRecord(j, f.root, start, end, 0, "1.2.3")
	want := Record{
		Rule:       "count",
		Wildcards:  map[string]string{"sample": "a"},
		CodeHash:   CodeHash("#!/bin/sh\nwc -l\n"),
		ParamsHash: ParamsHash(j.Spec.Params),
		Inputs:     []string{"in.txt", "ref.txt"},
		Start:      start, End: end, Version: "1.2.3",
	}
	if !sameRecord(plain, want) {
		t.Errorf("NewRecord =\n%+v\nwant\n%+v", plain, want)
	}

	c := NewChecker(f.s, allTriggers(), f.root)
	rec := c.Record(j, start, end, 0, "1.2.3")
	if rec.CodeHash != want.CodeHash || len(rec.InputHashes) != 2 ||
		rec.InputHashes["ref.txt"].Sum != CodeHash("ACGT") || rec.InputHashes["ref.txt"].Size != 4 {
		t.Errorf("Checker.Record = %+v", rec)
	}
	// The checker keeps the script hash it judged by.
	f.file("scripts/run.sh", "edited", 1)
	if got := c.Record(j, start, end, 0, "").CodeHash; got != want.CodeHash {
		t.Error("Checker.Record re-read the script")
	}
}

func allTriggers() Triggers {
	return Triggers{Mtime: true, Params: true, Input: true, Code: true, Content: true}
}

func TestCheckerStoreError(t *testing.T) {
	f := newFixture(t)
	j := countJob()
	f.record(j, false)
	must(t, f.s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Put([]byte("out/a.txt"), []byte{0x7f}) }))
	c := NewChecker(f.s, DefaultTriggers, f.root)
	if got := c.Check(j, dag.Reason{}); got != (dag.Reason{}) {
		t.Errorf("Check on a damaged record = %v, want the timestamp verdict", got)
	}
	var ce *CorruptError
	if err := c.Err(); err == nil || !errors.As(err, &ce) || ce.Output != "out/a.txt" {
		t.Errorf("Err = %v", err)
	}
}

func TestCheckerNoOutputs(t *testing.T) {
	f := newFixture(t)
	j := &dag.Job{Key: "all", Spec: &rules.Job{Rule: &rules.Rule{Name: "all"}, Inputs: paths("out/a.txt")}}
	c := NewChecker(f.s, DefaultTriggers, f.root)
	for _, r := range []dag.Reason{{}, {Kind: dag.NoOutputs}} {
		if got := c.Check(j, r); got != r {
			t.Errorf("Check(%v) = %v", r, got)
		}
	}
}

// oldCheck is the record comparison as it was before the checker compared
// records in place: full decode, hashes as strings, listChange. The
// checker must give the same verdicts.
func oldCheck(t *testing.T, s *Store, c *Checker, spec *rules.Job) dag.Reason {
	t.Helper()
	var code, params string
	var inputs []string
	for _, o := range spec.Outputs {
		rec, ok, err := s.Get(o.Path)
		must(t, err)
		if !ok {
			continue
		}
		if c.t.Code {
			if code == "" {
				code = c.codeHash(spec)
			}
			if rec.CodeHash != code {
				return dag.Reason{Kind: dag.CodeChanged, Path: o.Path}
			}
		}
		if c.t.Params {
			if params == "" {
				params = ParamsHash(spec.Params)
			}
			if rec.ParamsHash != params {
				return dag.Reason{Kind: dag.ParamsChanged, Path: o.Path}
			}
		}
		if c.t.Input {
			if inputs == nil {
				inputs = inputPaths(spec)
			}
			if d, changed := listChange(rec.Inputs, inputs); changed {
				return dag.Reason{Kind: dag.InputListChanged, Path: d}
			}
		}
	}
	return dag.Reason{}
}

func TestCheckerComparesInPlace(t *testing.T) {
	shell := &rules.Rule{Name: "count", HasShell: true, ShellSource: "wc -l ${input} > ${output}"}
	other := &rules.Rule{Name: "count", HasShell: true, ShellSource: "wc -w ${input} > ${output}"}
	params := cty.ObjectVal(map[string]cty.Value{"min": cty.NumberIntVal(3)})
	job := func(rule *rules.Rule, inputs []string, outputs ...string) *rules.Job {
		return &rules.Job{Rule: rule, Inputs: paths(inputs...), Outputs: paths(outputs...), Params: params, Shell: "wc -l x"}
	}
	rec := func(inputs ...string) Record {
		return Record{Rule: "count", CodeHash: CodeHash(shell.ShellSource), ParamsHash: ParamsHash(params), Inputs: inputs}
	}
	emptyParams := func(r Record) Record { r.ParamsHash = ParamsHash(cty.EmptyObjectVal); return r }
	for _, tc := range []struct {
		name string
		recs map[string]Record
		job  *rules.Job
		want dag.Reason
	}{
		{"same", map[string]Record{"o": rec("a", "b")}, job(shell, []string{"a", "b"}, "o"), dag.Reason{}},
		{"no inputs", map[string]Record{"o": rec()}, job(shell, nil, "o"), dag.Reason{}},
		{"job paths unclean", map[string]Record{"o": rec("a/b", "c")}, job(shell, []string{"./a//b", "c/"}, "o"), dag.Reason{}},
		{"recorded paths unclean", map[string]Record{"o": rec("./a", "b/")}, job(shell, []string{"a", "b"}, "o"), dag.Reason{}},
		{"both unclean alike", map[string]Record{"o": rec("x/./a")}, job(shell, []string{"x/./a"}, "o"), dag.Reason{}},
		{"reordered", map[string]Record{"o": rec("a", "b")}, job(shell, []string{"b", "a"}, "o"), dag.Reason{}},
		{"duplicate input", map[string]Record{"o": rec("a", "b")}, job(shell, []string{"a", "b", "a"}, "o"), dag.Reason{}},
		{"added", map[string]Record{"o": rec("a")}, job(shell, []string{"a", "b"}, "o"), dag.Reason{Kind: dag.InputListChanged, Path: "b"}},
		{"removed", map[string]Record{"o": rec("a", "b")}, job(shell, []string{"a"}, "o"), dag.Reason{Kind: dag.InputListChanged, Path: "b"}},
		{"replaced", map[string]Record{"o": rec("a", "b")}, job(shell, []string{"a", "c"}, "o"), dag.Reason{Kind: dag.InputListChanged, Path: "c"}},
		{"other template", map[string]Record{"o": rec("a")}, job(other, []string{"a"}, "o"), dag.Reason{Kind: dag.CodeChanged, Path: "o"}},
		{"rule without shell: the command", map[string]Record{"o": rec("a")}, job(&rules.Rule{Name: "count"}, []string{"a"}, "o"), dag.Reason{Kind: dag.CodeChanged, Path: "o"}},
		{"other params", map[string]Record{"o": emptyParams(rec("a"))}, job(shell, []string{"a"}, "o"), dag.Reason{Kind: dag.ParamsChanged, Path: "o"}},
		{"second output differs", map[string]Record{"o1": rec("a"), "o2": rec("b")}, job(shell, []string{"a"}, "o1", "o2"), dag.Reason{Kind: dag.InputListChanged, Path: "a"}},
		{"first output unrecorded", map[string]Record{"o2": emptyParams(rec("a"))}, job(shell, []string{"a"}, "o1", "o2"), dag.Reason{Kind: dag.ParamsChanged, Path: "o2"}},
		{"nothing recorded", nil, job(other, nil, "o"), dag.Reason{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := openStore(t, filepath.Join(root, ".flowmake"), OpenOptions{})
			for o, r := range tc.recs {
				must(t, s.Finish([]string{o}, r))
			}
			for _, tr := range []Triggers{DefaultTriggers, {Input: true}, {Params: true, Input: true}, {Code: true}} {
				c := NewChecker(s, tr, root)
				want := oldCheck(t, s, c, tc.job)
				if tr == DefaultTriggers && want != tc.want {
					t.Fatalf("the old way gives %v (%q), the test wants %v (%q)", want, want.Path, tc.want, tc.want.Path)
				}
				if got := c.Check(&dag.Job{Spec: tc.job}, dag.Reason{}); got != want {
					t.Errorf("%v: Check = %v (%q), the old way %v (%q)", tr, got, got.Path, want, want.Path)
				}
				must(t, c.Err())
			}
		})
	}
}

// The checker hashes a rule's shell template once, but sees a rule edited
// in place.
func TestCheckerRuleCodeCache(t *testing.T) {
	f := newFixture(t)
	rule := &rules.Rule{Name: "count", HasShell: true, ShellSource: "wc -l ${input} > ${output}"}
	j := countJob()
	j.Spec.Rule = rule
	f.record(j, false)
	c := NewChecker(f.s, DefaultTriggers, f.root)
	for i := range 3 {
		if got := c.Check(j, dag.Reason{}); got != (dag.Reason{}) {
			t.Fatalf("check %d: %v", i, got)
		}
	}
	rule.ShellSource = "wc -w ${input} > ${output}"
	if got := c.Check(j, dag.Reason{}); got != (dag.Reason{Kind: dag.CodeChanged, Path: "out/a.txt"}) {
		t.Errorf("after the edit: %v", got)
	}
	for _, spec := range []*rules.Job{
		j.Spec,
		{Rule: &rules.Rule{Name: "r"}, Shell: "echo"},
		{Shell: "echo"},
		{Rule: rule, Script: "scripts/run.sh"},
		{Rule: rule, Script: "scripts/gone.sh"},
	} {
		if sum := c.codeSum(spec); string(sum[:]) != c.codeHash(spec) {
			t.Errorf("%+v: codeSum %s, codeHash %s", spec, sum, c.codeHash(spec))
		}
	}
}

// A record damaged after the fields the checker compares is still damaged.
func TestCheckerDamagedTail(t *testing.T) {
	f := newFixture(t)
	j := countJob()
	f.record(j, false)
	var rec Record
	must(t, f.s.View(func(r *Reader) (err error) { rec, _, err = r.Get("out/a.txt"); return err }))
	v := encodeRecord(&rec)
	must(t, f.s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Put([]byte("out/a.txt"), v[:len(v)-1]) }))
	c := NewChecker(f.s, DefaultTriggers, f.root)
	if got := c.Check(j, dag.Reason{}); got != (dag.Reason{}) {
		t.Errorf("Check on a damaged record = %v, want the timestamp verdict", got)
	}
	var ce *CorruptError
	if err := c.Err(); !errors.As(err, &ce) || ce.Output != "out/a.txt" {
		t.Errorf("Err = %v", err)
	}
}

// BenchmarkCheck10k is a no-op run's staleness pass over 10,000 up-to-date
// jobs with records, default triggers: one read transaction per job.
func BenchmarkCheck10k(b *testing.B) {
	root := b.TempDir()
	s, err := Open(filepath.Join(root, ".flowmake"), OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := NewChecker(s, DefaultTriggers, root)
	jobs := make([]*dag.Job, 10000)
	var recs []func(tx *bolt.Tx) error
	for i := range jobs {
		sample := fmt.Sprintf("s%05d", i)
		out := "results/" + sample + ".txt"
		jobs[i] = &dag.Job{Key: "count (sample=" + sample + ")", Spec: &rules.Job{
			Rule:      &rules.Rule{Name: "count"},
			Wildcards: map[string]string{"sample": sample},
			Inputs:    paths("data/"+sample+"/R1.fq.gz", "data/"+sample+"/R2.fq.gz", "ref/genome.fa"),
			Outputs:   paths(out),
			Params:    cty.ObjectVal(map[string]cty.Value{"min": cty.NumberIntVal(3), "flags": cty.StringVal("-a -b")}),
			Shell:     "count --min 3 -a -b data/" + sample + "/R1.fq.gz > " + out,
		}}
		v := encodeRecord(ptr(c.Record(jobs[i], time.Now(), time.Now(), 0, "0.1.0")))
		recs = append(recs, func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Put([]byte(out), v) })
	}
	if err := s.update(func(tx *bolt.Tx) error {
		for _, put := range recs {
			if err := put(tx); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	defer cpuTime(b)()
	for b.Loop() {
		for _, j := range jobs {
			if r := c.Check(j, dag.Reason{}); r.Kind != dag.UpToDate {
				b.Fatal(j, r)
			}
		}
	}
}

// BenchmarkCheck10kWorkflow is BenchmarkCheck10k in the shape of
// bench/gen's workflow, which the end-to-end overhead is measured on: three
// rules with shell templates and no params, each job one input and one
// output.
func BenchmarkCheck10kWorkflow(b *testing.B) {
	root := b.TempDir()
	s, err := Open(filepath.Join(root, ".flowmake"), OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := NewChecker(s, DefaultTriggers, root)
	var stages [3]*rules.Rule
	for i := range stages {
		stages[i] = &rules.Rule{Name: fmt.Sprintf("s%d", i+1), HasShell: true, ShellSource: "cat ${input} > ${output}"}
	}
	var jobs []*dag.Job
	for i, rule := range stages {
		for n := range 3333 {
			in, out := fmt.Sprintf("s%d/%d.txt", i, n), fmt.Sprintf("s%d/%d.txt", i+1, n)
			jobs = append(jobs, &dag.Job{Key: fmt.Sprintf("%s (s=%d)", rule.Name, n), Spec: &rules.Job{
				Rule:      rule,
				Wildcards: map[string]string{"s": fmt.Sprint(n)},
				Inputs:    paths(in),
				Outputs:   paths(out),
				Params:    cty.EmptyObjectVal,
				Shell:     "cat " + in + " > " + out,
			}})
		}
	}
	if err := s.update(func(tx *bolt.Tx) error {
		for _, j := range jobs {
			v := encodeRecord(ptr(c.Record(j, time.Now(), time.Now(), 0, "0.1.0")))
			if err := tx.Bucket(bucketRecords).Put([]byte(j.Spec.Outputs[0].Path), v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	defer cpuTime(b)()
	for b.Loop() {
		for _, j := range jobs {
			if r := c.Check(j, dag.Reason{}); r.Kind != dag.UpToDate {
				b.Fatal(j, r)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestCheckerFinishTime: the finish time dag judges directory() outputs
// by is the End of the output's record, whatever the output's mtime.
func TestCheckerFinishTime(t *testing.T) {
	f := newFixture(t)
	j := countJob()
	j.Spec.Outputs = paths("out/dir", "out/a.txt")
	must(t, os.MkdirAll(filepath.Join(f.root, "out/dir"), 0o755))
	c := NewChecker(f.s, DefaultTriggers, f.root)
	if at, ok := c.FinishTime("out/dir"); ok {
		t.Fatalf("FinishTime before any record = %v, true", at)
	}
	end := f.base.Add(7 * time.Second)
	must(t, f.s.Finish([]string{"out/dir", "out/a.txt"}, c.Record(j, f.base, end, 0, "test")))
	// A file dropped in later changes the directory's mtime, not the record.
	f.file("out/dir/extra.txt", "x", 100)
	for _, c := range []struct {
		output string
		ok     bool
	}{
		{"out/dir", true},
		{"out/./dir", true}, // paths are keyed cleaned
		{"out/a.txt", true},
		{"out/other", false},
	} {
		at, ok := NewChecker(f.s, DefaultTriggers, f.root).FinishTime(c.output)
		if ok != c.ok || ok && !at.Equal(end) {
			t.Errorf("FinishTime(%s) = %v, %v; want %v, %v", c.output, at, ok, end, c.ok)
		}
	}
	if _, ok := NewChecker(Empty(), DefaultTriggers, f.root).FinishTime("out/dir"); ok {
		t.Error("an empty store knows a finish time")
	}
}
