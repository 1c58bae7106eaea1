package rules

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestResourceCaps: Env.ResourceCaps clamps a numeric resource before the
// shell is rendered, as Env.Cores clamps threads, and warns at the
// resource's own range.
func TestResourceCaps(t *testing.T) {
	wf := parse(t, `
rule "r" {
  output    = "out.txt"
  resources = { mem_mb = 1000, disk_mb = 5, partition = "big" }
  shell     = "echo ${resources.mem_mb} ${resources.disk_mb} > ${output}"
}
`)
	for _, c := range []struct {
		name     string
		caps     map[string]int64
		mem      int64
		shell    string
		warnings int
	}{
		{"no caps", nil, 1000, "echo 1000 5 > out.txt", 0},
		{"cap above the ask", map[string]int64{"mem_mb": 2000}, 1000, "echo 1000 5 > out.txt", 0},
		{"cap equal to the ask", map[string]int64{"mem_mb": 1000}, 1000, "echo 1000 5 > out.txt", 0},
		{"cap below the ask", map[string]int64{"mem_mb": 100}, 100, "echo 100 5 > out.txt", 1},
		{"cap of another resource", map[string]int64{"gpu": 1}, 1000, "echo 1000 5 > out.txt", 0},
		{"two caps", map[string]int64{"mem_mb": 10, "disk_mb": 1}, 10, "echo 10 1 > out.txt", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			j, diags := wf.ByName["r"].Eval(nil, Env{ResourceCaps: c.caps})
			if diags.HasErrors() || j == nil {
				t.Fatal(diags)
			}
			if j.Resources["mem_mb"] != c.mem || j.Shell != c.shell {
				t.Errorf("mem_mb=%d shell %q; want %d, %q", j.Resources["mem_mb"], j.Shell, c.mem, c.shell)
			}
			if j.ResourceText["partition"] != "big" {
				t.Errorf("text resource %q", j.ResourceText["partition"])
			}
			if len(diags) != c.warnings {
				t.Fatalf("%d diagnostics, want %d: %v", len(diags), c.warnings, diags)
			}
			for _, d := range diags {
				if d.Severity != hcl.DiagWarning || d.Summary != "Resource capped" || d.Subject == nil || d.Subject.Start.Line != 4 ||
					!strings.Contains(d.Detail, "--resources caps") {
					t.Errorf("diagnostic %+v", d)
				}
			}
		})
	}
}
