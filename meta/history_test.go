package meta

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)

// fullRun sets every field of Run and JobRun to something other than its
// zero value, so a round trip that drops a field fails.
func fullRun() *Run {
	return &Run{
		ID:          "20261201-150405-3f9a2c",
		Start:       t0,
		End:         t0.Add(90 * time.Second),
		Version:     "0.3.0",
		Args:        []string{"-j4", "--keep-going", "all"},
		Targets:     []string{"all", "results/ü b.txt"},
		Dir:         "/work/x",
		Host:        "node1",
		Executor:    "slurm",
		Cores:       4,
		Total:       3,
		Done:        1,
		Failed:      1,
		Skipped:     1,
		Interrupted: true,
		Rules:       []string{"align", "count"},
		RuleEdges:   [][2]string{{"align", "count"}},
		Jobs: []JobRun{
			{
				Rule:      "align",
				Wildcards: map[string]string{"sample": "A", "unit": "1"},
				Inputs:    []string{"data/A.fq", "ref.fa"},
				Outputs:   []string{"A.bam"},
				Logs:      []string{"logs/A.log"},
				Capture:   ".flowmake/log/align/A.txt",
				Status:    "ok",
				Start:     t0.Add(time.Second),
				End:       t0.Add(3 * time.Second),
				Attempts:  1,
				UserCPU:   1500 * time.Millisecond,
				SysCPU:    20 * time.Millisecond,
				MaxRSS:    12 << 20,
				Host:      "node1",
				Executor:  "slurm",
			},
			{
				Rule:     "count",
				Outputs:  []string{"counts.txt"},
				Status:   "failed",
				Start:    t0.Add(4 * time.Second),
				End:      t0.Add(5 * time.Second),
				ExitCode: -1,
				Signal:   9,
				Error:    "killed",
				Attempts: 2,
				Host:     "node2",
				Executor: "local",
				LogTail:  "line 1\nline 2\n",
			},
			{Rule: "count", Status: "skipped", ExitCode: -1},
		},
	}
}

// sameRun compares runs with times by instant.
func sameRun(a, b *Run) bool {
	norm := func(r Run) Run {
		r.Start, r.End = r.Start.UTC(), r.End.UTC()
		jobs := make([]JobRun, len(r.Jobs))
		for i, j := range r.Jobs {
			if !j.Start.IsZero() {
				j.Start, j.End = j.Start.UTC(), j.End.UTC()
			}
			jobs[i] = j
		}
		if r.Jobs == nil {
			jobs = nil
		}
		r.Jobs = jobs
		return r
	}
	return reflect.DeepEqual(norm(*a), norm(*b))
}

// okRun is a run of n successful jobs of rule, each taking wall.
func okRun(id string, start time.Time, rule string, n int, wall time.Duration) *Run {
	r := &Run{ID: id, Start: start, End: start.Add(time.Minute), Total: n, Done: n}
	for i := range n {
		s := start.Add(time.Duration(i) * time.Millisecond)
		r.Jobs = append(r.Jobs, JobRun{Rule: rule, Status: "ok", Start: s, End: s.Add(wall)})
	}
	return r
}

func TestRunRoundTrip(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	want := fullRun()
	if err := s.SaveRun(want); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", want.ID, "20261201-150405"} {
		got, err := s.LoadRun(id)
		if err != nil {
			t.Fatalf("LoadRun(%q): %v", id, err)
		}
		if !sameRun(got, want) {
			t.Errorf("LoadRun(%q):\n got %+v\nwant %+v", id, got, want)
		}
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	head := *want
	head.Jobs = nil
	if len(runs) != 1 || !sameRun(&runs[0], &head) {
		t.Errorf("Runs: %+v\nwant the header %+v", runs, head)
	}
	// Every field is set: a zero field in the sample would not test its
	// encoding.
	for _, v := range []any{*want, want.Jobs[0], want.Jobs[1]} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			name := rv.Type().Field(i).Name
			if rv.Field(i).IsZero() && !(rv.Type().Name() == "JobRun" && coveredByOther[name]) {
				t.Errorf("sample %s.%s is zero", rv.Type().Name(), name)
			}
		}
	}
}

// coveredByOther: JobRun fields one sample job leaves zero and the other
// sets.
var coveredByOther = map[string]bool{
	"Wildcards": true, "Inputs": true, "Logs": true, "Capture": true, "ExitCode": true,
	"Signal": true, "Error": true, "UserCPU": true, "SysCPU": true, "MaxRSS": true, "LogTail": true,
}

func TestRunsNewestFirst(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	// Same second: the order must come from the start time, not the
	// random suffix.
	ids := []string{"20261201-150405-ffffff", "20261201-150405-000000", "20261201-150406-888888"}
	for i, id := range ids {
		if err := s.SaveRun(okRun(id, t0.Add(time.Duration(i)*time.Millisecond), "a", 1, time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.ID)
		if r.Jobs != nil {
			t.Errorf("Runs gave the jobs of %s", r.ID)
		}
	}
	want := []string{ids[2], ids[1], ids[0]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Runs: %v, want %v", got, want)
	}
	if r, err := s.LoadRun(""); err != nil || r.ID != ids[2] {
		t.Errorf("LoadRun(\"\"): %v %v, want %s", r, err, ids[2])
	}
}

func TestRunBound(t *testing.T) {
	for _, tc := range []struct {
		name               string
		keepRuns, keepJobs int
		jobs               []int // jobs of each run saved, oldest first
		wantKept           []int // indexes of the kept runs, newest first
	}{
		{"under both", 5, 100, []int{1, 2, 3}, []int{2, 1, 0}},
		{"count bound", 3, 100, []int{1, 1, 1, 1, 1}, []int{4, 3, 2}},
		{"job bound", 10, 10, []int{4, 4, 4, 4}, []int{3, 2}},
		{"job bound exactly met", 10, 8, []int{4, 4, 4}, []int{2, 1}},
		{"newest kept however big", 10, 10, []int{2, 50}, []int{1}},
		{"both", 2, 10, []int{1, 1, 2, 9}, []int{3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, metaDir(t), OpenOptions{})
			ids := make([]string, len(tc.jobs))
			for i, n := range tc.jobs {
				ids[i] = fmt.Sprintf("run-%02d", i)
				// Rule r takes i+1 seconds in run i, so the mean shows
				// which runs' jobs are still counted.
				r := okRun(ids[i], t0.Add(time.Duration(i)*time.Second), "r", n, time.Duration(i+1)*time.Second)
				if err := s.saveRun(r, tc.keepRuns, tc.keepJobs); err != nil {
					t.Fatal(err)
				}
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, r := range runs {
				got = append(got, r.ID)
			}
			var n int
			var wall time.Duration
			for _, i := range tc.wantKept {
				want = append(want, ids[i])
				n += tc.jobs[i]
				wall += time.Duration(tc.jobs[i]) * time.Duration(i+1) * time.Second
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("kept %v, want %v", got, want)
			}
			means, err := s.MeanDurations()
			if err != nil {
				t.Fatal(err)
			}
			if m := means["r"]; m != wall/time.Duration(n) {
				t.Errorf("mean of r: %v, want %v (the kept runs' jobs only)", m, wall/time.Duration(n))
			}
			// The dropped runs' jobs are gone too.
			var stored int
			s.view(func(tx *bolt.Tx) error {
				stored = tx.Bucket(bucketRunJobs).Stats().KeyN
				return nil
			})
			if stored != len(want) { // at most jobsPerChunk jobs a run here
				t.Errorf("%d job values stored, want %d", stored, len(want))
			}
		})
	}
}

func TestDefaultBound(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	for i := range DefaultKeepRuns + 5 {
		if err := s.SaveRun(okRun(NewRunID(t0), t0.Add(time.Duration(i)*time.Second), "r", 1, time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if runs, err := s.Runs(); err != nil || len(runs) != DefaultKeepRuns {
		t.Errorf("kept %d runs (%v), want %d", len(runs), err, DefaultKeepRuns)
	}
}

func TestSaveRunReplacesSameID(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	for _, wall := range []time.Duration{time.Second, 3 * time.Second} {
		if err := s.SaveRun(okRun("x", t0, "r", 2, wall)); err != nil {
			t.Fatal(err)
		}
	}
	runs, _ := s.Runs()
	means, _ := s.MeanDurations()
	if len(runs) != 1 || means["r"] != 3*time.Second {
		t.Errorf("after saving x twice: %d runs, mean %v; want 1 run, 3s", len(runs), means["r"])
	}
}

func TestMeanDurations(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	r := &Run{ID: "a", Start: t0, Jobs: []JobRun{
		{Rule: "x", Status: "ok", Start: t0, End: t0.Add(2 * time.Second)},
		{Rule: "x", Status: "ok", Start: t0, End: t0.Add(4 * time.Second)},
		{Rule: "x", Status: "failed", Start: t0, End: t0.Add(100 * time.Second)},
		{Rule: "y", Status: "interrupted", Start: t0, End: t0.Add(100 * time.Second)},
		{Rule: "z", Status: "skipped"},
	}}
	if err := s.SaveRun(r); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRun(okRun("b", t0.Add(time.Hour), "x", 1, 9*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := s.MeanDurations()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"x": 5 * time.Second} // (2+4+9)/3
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MeanDurations: %v, want %v", got, want)
	}
}

func TestLoadRunUnknown(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	ids := []string{"20261201-150405-aaaaaa", "20261201-150405-abbbbb", "20261201-160000-cccccc"}
	for i, id := range ids {
		if err := s.SaveRun(okRun(id, t0.Add(time.Duration(i)*time.Second), "r", 1, time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		id   string
		want string // regexp of the message
	}{
		{"nope", `^no run recorded with id "nope"; the newest runs are 20261201-160000-cccccc, 20261201-150405-abbbbb, 20261201-150405-aaaaaa$`},
		{"20261201-150405-a", `^no run recorded with id "20261201-150405-a": it is the start of several ids`},
	} {
		_, err := s.LoadRun(tc.id)
		if !errors.Is(err, ErrNoRun) {
			t.Errorf("LoadRun(%q): %v, want ErrNoRun", tc.id, err)
			continue
		}
		if !regexp.MustCompile(tc.want).MatchString(err.Error()) {
			t.Errorf("LoadRun(%q): %q, want %s", tc.id, err, tc.want)
		}
	}
	if r, err := s.LoadRun("20261201-150405-ab"); err != nil || r.ID != ids[1] {
		t.Errorf("unique prefix: %v %v", r, err)
	}
}

func TestEmptyHistory(t *testing.T) {
	dir := metaDir(t)
	for _, tc := range []struct {
		name string
		open func() *Store
	}{
		{"no database, read-only", func() *Store { return openStore(t, dir+"-none", OpenOptions{ReadOnly: true}) }},
		{"Empty()", Empty},
		{"store without history buckets", func() *Store {
			s := openStore(t, dir, OpenOptions{})
			if err := s.Finish([]string{"a"}, sampleRecord()); err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open()
			if runs, err := s.Runs(); len(runs) != 0 || err != nil {
				t.Errorf("Runs: %v %v", runs, err)
			}
			if m, err := s.MeanDurations(); len(m) != 0 || err != nil {
				t.Errorf("MeanDurations: %v %v", m, err)
			}
			for _, id := range []string{"", "x"} {
				if _, err := s.LoadRun(id); !errors.Is(err, ErrNoRun) || !strings.Contains(err.Error(), "empty") {
					t.Errorf("LoadRun(%q): %v, want ErrNoRun saying the history is empty", id, err)
				}
			}
		})
	}
}

func TestHistoryReadOnly(t *testing.T) {
	dir := metaDir(t)
	w, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := fullRun()
	if err := w.SaveRun(want); err != nil {
		t.Fatal(err)
	}
	w.Close()
	s := openStore(t, dir, OpenOptions{ReadOnly: true})
	if got, err := s.LoadRun(""); err != nil || !sameRun(got, want) {
		t.Errorf("read-only LoadRun: %v %v", got, err)
	}
	if runs, err := s.Runs(); err != nil || len(runs) != 1 {
		t.Errorf("read-only Runs: %v %v", runs, err)
	}
	if m, err := s.MeanDurations(); err != nil || m["align"] != 2*time.Second {
		t.Errorf("read-only MeanDurations: %v %v", m, err)
	}
	if err := s.SaveRun(okRun("y", t0, "r", 1, time.Second)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only SaveRun: %v, want ErrReadOnly", err)
	}
	if err := Empty().SaveRun(want); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Empty().SaveRun: %v, want ErrReadOnly", err)
	}
	if err := w.SaveRun(&Run{}); err == nil {
		t.Error("SaveRun of a run without id succeeded")
	}
}

func TestDamagedRun(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	if err := s.SaveRun(fullRun()); err != nil {
		t.Fatal(err)
	}
	key := runKey(t0, fullRun().ID)
	if err := s.update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRunJobs).Get(chunkKey(key, 0))
		return tx.Bucket(bucketRunJobs).Put(chunkKey(key, 0), v[:len(v)-3])
	}); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, err := s.LoadRun(""); !errors.As(err, &ce) || !strings.Contains(err.Error(), fullRun().ID) {
		t.Errorf("LoadRun of a truncated run: %v, want a CorruptError naming the run", err)
	}
	if runs, err := s.Runs(); err != nil || len(runs) != 1 {
		t.Errorf("Runs reads headers only: %v %v", runs, err)
	}
}

// A run of several chunks comes back whole and in order; a lost chunk is
// damage, not a shorter run; dropping the run drops all its chunks.
func TestRunChunks(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	big := benchRun("big", t0, 2*jobsPerChunk+7)
	// A neighbour whose id extends big's must not lend it chunks.
	if err := s.SaveRun(benchRun("big2", t0, 3)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRun(big); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadRun("big")
	if err != nil {
		t.Fatal(err)
	}
	if !sameRun(got, big) {
		t.Errorf("a %d-job run did not round-trip (%d jobs back)", len(big.Jobs), len(got.Jobs))
	}
	if err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRunJobs).Delete(chunkKey(runKey(t0, "big"), 1))
	}); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, err := s.LoadRun("big"); !errors.As(err, &ce) || !strings.Contains(err.Error(), "1007 of its 2007 jobs") {
		t.Errorf("LoadRun with a chunk lost: %v, want a CorruptError counting the jobs", err)
	}
	if err := s.saveRun(okRun("new", t0.Add(time.Hour), "r", 1, time.Second), 1, MaxKeptJobs); err != nil {
		t.Fatal(err)
	}
	var left int
	s.view(func(tx *bolt.Tx) error {
		left = tx.Bucket(bucketRunJobs).Stats().KeyN
		return nil
	})
	if left != 1 {
		t.Errorf("%d job chunks left after dropping all but a 1-job run, want 1", left)
	}
	if err := s.SaveRun(&Run{ID: "a\x00b"}); err == nil {
		t.Error("SaveRun took an id with a NUL byte")
	}
}

func TestNewRunID(t *testing.T) {
	re := regexp.MustCompile(`^20261201-150405-[0-9a-f]{6}$`)
	seen := map[string]bool{}
	for range 100 {
		id := NewRunID(t0.In(time.FixedZone("x", 3600)))
		if !re.MatchString(id) {
			t.Fatalf("NewRunID: %q, want %s", id, re)
		}
		seen[id] = true
	}
	if len(seen) < 95 {
		t.Errorf("only %d distinct ids of 100", len(seen))
	}
	if a, b := NewRunID(t0), NewRunID(t0.Add(time.Second)); a >= b {
		t.Errorf("ids do not sort by time: %s >= %s", a, b)
	}
}

func FuzzDecodeRunJobs(f *testing.F) {
	f.Add(encodeRunJobs(fullRun().Jobs))
	f.Add(encodeRunHeader(fullRun(), 3, aggregate(fullRun().Jobs)))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeRunJobs(b)
		decodeRunHeader(b)
		decodeRuleTime(b)
	})
}

// benchRun is a run of n jobs shaped like bench/gen's fan: one rule, a
// wildcard, an output and a capture each.
func benchRun(id string, start time.Time, n int) *Run {
	r := &Run{ID: id, Start: start, End: start.Add(time.Minute), Args: []string{"-j2"}, Total: n, Done: n, Rules: []string{"item", "all"}, RuleEdges: [][2]string{{"item", "all"}}}
	r.Jobs = make([]JobRun, n)
	for i := range r.Jobs {
		v := fmt.Sprint(i)
		s := start.Add(time.Duration(i) * time.Millisecond)
		r.Jobs[i] = JobRun{
			Rule: "item", Wildcards: map[string]string{"i": v}, Outputs: []string{"out/" + v + ".txt"},
			Capture: ".flowmake/log/item/i=" + v + ".log", Status: "ok", Start: s, End: s.Add(3 * time.Millisecond),
			Attempts: 1, UserCPU: time.Millisecond, SysCPU: time.Millisecond, MaxRSS: 3 << 20, Host: "node1", Executor: "local",
		}
	}
	return r
}

func BenchmarkSaveRun(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := openStore(b, metaDir(b), OpenOptions{})
			r := benchRun("x", t0, n)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r.ID = fmt.Sprint("run-", i)
				r.Start = t0.Add(time.Duration(i) * time.Second)
				if err := s.SaveRun(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(encodeRunJobs(r.Jobs)))/float64(n), "B/job-stored")
		})
	}
}

func BenchmarkLoadRun100k(b *testing.B) {
	s := openStore(b, metaDir(b), OpenOptions{})
	if err := s.SaveRun(benchRun("x", t0, 100_000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.LoadRun(""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeanDurations(b *testing.B) {
	s := openStore(b, metaDir(b), OpenOptions{})
	for i := range DefaultKeepRuns {
		if err := s.SaveRun(benchRun(fmt.Sprint("r", i), t0.Add(time.Duration(i)*time.Second), 10_000)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.MeanDurations(); err != nil {
			b.Fatal(err)
		}
	}
}

// RunJobs stores what SaveRun would: the same jobs in the same order and
// the same per-rule durations, with jobs added as not final still open to
// Update (here across chunk boundaries) and the others sealed; from
// NewRunJobs the sealed chunks are written ahead and not kept.
func TestRunJobsAsSaveRun(t *testing.T) {
	for _, ahead := range []bool{false, true} {
		t.Run(fmt.Sprint("ahead=", ahead), func(t *testing.T) {
			n := 2*jobsPerChunk + 10
			want := benchRun("a", t0, n)
			s := openStore(t, metaDir(t), OpenOptions{})
			r := *want
			r.Jobs = nil
			jobs := &RunJobs{}
			if ahead {
				jobs = s.NewRunJobs(&r)
			}
			open := map[int]bool{3: true, n - 1: true} // the middle chunk seals
			for i, jr := range want.Jobs {
				if open[i] {
					jr.Status = "failed"
				}
				if got := jobs.Add(jr, !open[i]); got != i {
					t.Fatalf("Add gave index %d, want %d", got, i)
				}
			}
			for i := range want.Jobs {
				changed := jobs.Update(i, func(jr *JobRun) { jr.Status = "ok" })
				sealed := i >= jobsPerChunk && i < 2*jobsPerChunk
				if open[i] && !changed || sealed && changed {
					t.Errorf("Update(%d) = %v", i, changed)
				}
			}
			if jobs.Update(n, func(*JobRun) {}) {
				t.Error("Update past the end")
			}
			if seg := jobs.segs[1]; ahead && (!seg.stored || seg.enc != nil || seg.jobs != nil) {
				t.Errorf("a sealed chunk is still kept: stored %v, %d bytes, %d jobs", seg.stored, len(seg.enc), len(seg.jobs))
			}
			if err := s.SaveRunJobs(&r, jobs); err != nil {
				t.Fatal(err)
			}
			got, err := s.LoadRun("a")
			if err != nil {
				t.Fatal(err)
			}
			if !sameRun(got, want) {
				t.Errorf("LoadRun differs from the run saved with RunJobs")
			}
			means, err := s.MeanDurations()
			if err != nil || means["item"] != 3*time.Millisecond {
				t.Errorf("MeanDurations = %v, %v", means, err)
			}
		})
	}
}

// Chunks written ahead by a run that died before its header are deleted
// by the next SaveRun.
func TestOrphanChunksGo(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	dead := benchRun("dead", t0, jobsPerChunk)
	jobs := s.NewRunJobs(dead)
	for _, jr := range dead.Jobs {
		jobs.Add(jr, true)
	}
	must(t, s.Sync())
	chunks := func() (n int) {
		must(t, s.view(func(tx *bolt.Tx) error {
			if b := tx.Bucket(bucketRunJobs); b != nil {
				n = b.Stats().KeyN
			}
			return nil
		}))
		return n
	}
	if n := chunks(); n != 1 {
		t.Fatalf("%d chunks written ahead, want 1", n)
	}
	must(t, s.SaveRun(okRun("next", t0.Add(time.Hour), "r", 3, time.Second)))
	if n := chunks(); n != 1 { // next's own
		t.Errorf("%d chunks after the next SaveRun, want the new run's 1", n)
	}
	if _, err := s.LoadRun("dead"); !errors.Is(err, ErrNoRun) {
		t.Errorf("LoadRun of the dead run: %v", err)
	}
}
