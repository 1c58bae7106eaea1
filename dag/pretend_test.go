package dag

import (
	"testing"

	"github.com/flowmake/flowmake/rules"
)

// A pretend plan (dry run, --touch) resolves nothing after a checkpoint:
// the job waiting for it is handed out as it is, still pending, and no
// job joins the graph, even though the checkpoint's directory now holds
// files a real run would resolve.
func TestPretendPlanPassesCheckpoints(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0})
	g, err := Build(parse(t, checkpointFlow), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	jobs := len(g.Jobs)
	p := NewPretendPlan(g)
	if got := names(p.Ready()); got != "split (s=A)" {
		t.Fatalf("first ready %v, want the checkpoint alone", got)
	}
	tree(t, dir, map[string]int{"split/A/": 5, "split/A/1.txt": 5})
	more, err := p.Done(byName(t, g, "split (s=A)"), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(more); got != "agg (s=A)" {
		t.Fatalf("after the checkpoint %v, want agg (s=A)", got)
	}
	if !more[0].Spec.Pending {
		t.Error("agg (s=A) was resolved again; a pretend plan must leave it pending")
	}
	more, err = p.Done(more[0], true)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(more); got != "all" {
		t.Fatalf("after agg %v, want all", got)
	}
	p.Done(more[0], true)
	if p.More() || p.Total() != 3 || len(g.Jobs) != jobs {
		t.Errorf("More %v, Total %d, %d jobs (had %d): want done, 3, unchanged", p.More(), p.Total(), len(g.Jobs), jobs)
	}
}
