package exec

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/flowmake/flowmake/dag"
)

// --touch through the scheduler: existing outputs become newer than their
// inputs (raw.txt is an hour in the future) in dependency order; missing
// ones are reported, not created (not even the touch() one); no command
// runs, nothing is deleted (the temp() file stays) or made read-only;
// the metadata hook hears of each job with the time its outputs got.
func TestTouchThroughScheduler(t *testing.T) {
	dir, b, jobs := fileJobs(t)
	var missing []string
	tch := &Touch{Dir: dir, Missing: func(j *dag.Job, p string) { missing = append(missing, j.Key+":"+p) }}
	recorded := map[string]time.Time{}
	hooks := Hooks{AfterFinish: func(j *dag.Job, _ Spec, r Result) {
		if r.OK() && len(tch.Touched(j)) > 0 {
			recorded[j.Key] = r.End
		}
	}}
	s, err := run(t, b.plan(), tch, Options{Cores: 4, Dir: dir, Hooks: hooks})
	if err != nil || s.Done != 4 {
		t.Fatalf("summary %+v, err %v", s, err)
	}
	mtime := func(p string) time.Time {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	for _, pair := range [][2]string{{"a.txt", "raw.txt"}, {"mid.txt", "raw.txt"}, {"c.txt", "mid.txt"}, {"c.txt", "a.txt"}} {
		if out, in := mtime(pair[0]), mtime(pair[1]); !out.After(in) {
			t.Errorf("%s (%v) is not newer than its input %s (%v)", pair[0], out, pair[1], in)
		}
	}
	slices.Sort(missing)
	if want := []string{"b:b.txt", "b:flag"}; !slices.Equal(missing, want) {
		t.Errorf("missing %v, want %v", missing, want)
	}
	for _, f := range []string{"b.txt", "flag", "ran-a", "ran-b", "ran-c", "ran-all"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s exists: --touch made a file or ran a command", f)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "c.txt")); err != nil || fi.Mode().Perm()&0o200 == 0 {
		t.Errorf("protected() c.txt was made read-only (%v, %v)", fi.Mode(), err)
	}
	if got := tch.Touched(jobs["a"]); !slices.Equal(got, []string{"a.txt", "mid.txt"}) {
		t.Errorf("Touched(a) = %v", got)
	}
	if got := tch.Touched(jobs["b"]); got != nil {
		t.Errorf("Touched(b) = %v, want none: its outputs are missing", got)
	}
	if n, m := tch.Counts(); n != 2 || m != 2 {
		t.Errorf("Counts = %d jobs, %d missing; want 2, 2", n, m)
	}
	if _, ok := recorded["c"]; !ok || !recorded["c"].Equal(mtime("c.txt")) || !recorded["a"].Equal(mtime("a.txt")) {
		t.Errorf("the hook heard %v; want the times a.txt and c.txt got", recorded)
	}
}
