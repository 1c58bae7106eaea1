package rules

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocalRules(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      map[string]bool
	}{
		{"list", `
localrules = ["all", "plot"]
rule "all" { input = "p.png" }
rule "plot" {
  output = "p.png"
  shell  = "touch p.png"
}
rule "calc" { output = "c.txt" }
`, map[string]bool{"all": true, "plot": true}},
		{"one string", `
localrules = "all"
rule "all" { input = "c.txt" }
rule "calc" { output = "c.txt" }
`, map[string]bool{"all": true}},
		{"from config", `
config { local = ["calc"] }
localrules = config.local
rule "all" { input = "c.txt" }
rule "calc" { output = "c.txt" }
`, map[string]bool{"calc": true}},
		{"absent", `
rule "all" { input = "c.txt" }
rule "calc" { output = "c.txt" }
`, nil},
	} {
		wf, diags := Parse([]byte(c.src), "Rulefile")
		if diags.HasErrors() {
			t.Fatalf("%s: %v", c.name, diags)
		}
		if !maps.Equal(wf.LocalRules, c.want) {
			t.Errorf("%s: LocalRules %v, want %v", c.name, wf.LocalRules, c.want)
		}
	}
}

func TestLocalRulesUnknown(t *testing.T) {
	src := `rule "plot" { output = "p.png" }
rule "all" { input = "p.png" }
localrules = [
  "all",
  "plott",
]
`
	wf, diags := Parse([]byte(src), "Rulefile")
	if len(diags) != 1 {
		t.Fatalf("want one diagnostic, got %v", diags)
	}
	d := diags[0]
	if d.Summary != "Unknown rule in localrules" || !strings.Contains(d.Detail, `"plott"`) || !strings.Contains(d.Detail, `"plot"`) {
		t.Errorf("diagnostic %q: %q", d.Summary, d.Detail)
	}
	// The range is the unknown name itself, not the whole list.
	if d.Subject == nil || d.Subject.Filename != "Rulefile" || d.Subject.Start.Line != 5 {
		t.Errorf("subject %v, want Rulefile line 5", d.Subject)
	}
	if wf != nil && wf.LocalRules["plott"] {
		t.Error("unknown rule kept in LocalRules")
	}
}

func TestLocalRulesNotStrings(t *testing.T) {
	wf, diags := Parse([]byte(`localrules = 3
rule "all" { output = "x" }
`), "Rulefile")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "list of strings") {
		t.Fatalf("got %v", diags)
	}
	if wf != nil && len(wf.LocalRules) != 0 {
		t.Errorf("LocalRules %v", wf.LocalRules)
	}
}

// localrules in an included file counts, as ruleorder does.
func TestLocalRulesInclude(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Rulefile"), `
include = ["more.hcl"]
localrules = ["all"]
rule "all" { input = "c.txt" }
`)
	writeFile(t, filepath.Join(dir, "more.hcl"), `
localrules = ["calc"]
rule "calc" { output = "c.txt" }
`)
	wf, diags := Load(filepath.Join(dir, "Rulefile"), Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if want := map[string]bool{"all": true, "calc": true}; !maps.Equal(wf.LocalRules, want) {
		t.Errorf("LocalRules %v, want %v", wf.LocalRules, want)
	}
}
