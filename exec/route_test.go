package exec

import (
	"slices"
	"testing"
)

// Through the scheduler, so the rule name NewSpec puts on each Spec is
// what decides: the jobs of local rules reach Local, the rest Remote.
func TestRouteLocalRules(t *testing.T) {
	var b graph
	a := b.job("calc")
	p := b.job("plot", a)
	b.job("all", a, p)
	local, remote := &Fake{}, &Fake{}
	ex := Route{Local: local, Remote: remote, IsLocal: RuleIn(map[string]bool{"all": true, "plot": true})}
	s, err := run(t, b.plan(), ex, Options{Cores: 2})
	if err != nil || s.Done != 3 {
		t.Fatalf("summary %+v, err %v", s, err)
	}
	if got := local.Names(); !slices.Equal(got, []string{"plot", "all"}) {
		t.Errorf("local ran %v, want [plot all]", got)
	}
	if got := remote.Names(); !slices.Equal(got, []string{"calc"}) {
		t.Errorf("remote ran %v, want [calc]", got)
	}
	for _, c := range append(local.Calls(), remote.Calls()...) {
		if c.Rule != c.Name {
			t.Errorf("spec %q has Rule %q", c.Name, c.Rule)
		}
	}
}

func TestRouteNilIsLocal(t *testing.T) {
	var b graph
	b.job("all")
	local, remote := &Fake{}, &Fake{}
	if _, err := run(t, b.plan(), Route{Local: local, Remote: remote}, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(local.Calls()) != 0 || len(remote.Calls()) != 1 {
		t.Errorf("local %v, remote %v", local.Names(), remote.Names())
	}
}
