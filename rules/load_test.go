package rules

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// jsonOf renders a cty value as JSON, so tests compare values by content
// (object vs map, tuple vs list do not matter here).
func jsonOf(t *testing.T, v cty.Value) string {
	t.Helper()
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConfigOptions(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Rulefile"), `
config {
  samples = ["a"]
  db      = { host = "localhost", port = 1, opts = { ssl = false } }
  n       = 3
}
rule "all" {
  input = expand("out/{s}.txt", { s = config.samples })
}
`)
	writeFile(t, filepath.Join(dir, "c.json"), `{"db": {"port": 2, "opts": {"timeout": 5}}, "extra": [1, 2]}`)
	writeFile(t, filepath.Join(dir, "c.yaml"), "db:\n  user: u\nsamples: [b, c]\nn: 4\n")

	cases := []struct {
		name string
		opts Options
		want string
	}{
		{
			name: "defaults",
			want: `{"db":{"host":"localhost","opts":{"ssl":false},"port":1},"n":3,"samples":["a"]}`,
		},
		{
			name: "config files deep-merged in order",
			opts: Options{ConfigFiles: []string{filepath.Join(dir, "c.json"), filepath.Join(dir, "c.yaml")}},
			want: `{"db":{"host":"localhost","opts":{"ssl":false,"timeout":5},"port":2,"user":"u"},"extra":[1,2],"n":4,"samples":["b","c"]}`,
		},
		{
			name: "overrides after files, literals and text",
			opts: Options{
				ConfigFiles: []string{filepath.Join(dir, "c.yaml")},
				ConfigOverrides: []string{
					"n=5", `samples=["x", "y"]`, "db.host=remote", "db.opts.ssl=True",
					`quoted="a b"`, "text=hello world", "date=2024-01-01", "path=a/b.txt",
					"neg=-3", "obj={a: 1, b: [x]}", "nothing=", "deep.new.key=1.5",
				},
			},
			want: `{"date":"2024-01-01","db":{"host":"remote","opts":{"ssl":true},"port":1,"user":"u"},"deep":{"new":{"key":1.5}},"n":5,"neg":-3,"nothing":null,"obj":{"a":"1","b":["x"]},"path":"a/b.txt","quoted":"a b","samples":["x","y"],"text":"hello world"}`,
		},
		{
			name: "a dotted key replaces a value that is not an object",
			opts: Options{ConfigOverrides: []string{"n.x=1"}},
			want: `{"db":{"host":"localhost","opts":{"ssl":false},"port":1},"n":{"x":1},"samples":["a"]}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wf, diags := Load(filepath.Join(dir, "Rulefile"), c.opts)
			if len(diags) > 0 {
				t.Fatal(diags)
			}
			if got := jsonOf(t, wf.Config); got != c.want {
				t.Errorf("config\n got %s\nwant %s", got, c.want)
			}
		})
	}

	// The merged config is what rules see, at load time and per job.
	wf, diags := Load(filepath.Join(dir, "Rulefile"), Options{ConfigOverrides: []string{`samples=["p","q"]`}})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	j := eval(t, wf, "all", nil, Env{})
	if !reflect.DeepEqual(j.Inputs, paths("out/p.txt", "out/q.txt")) {
		t.Errorf("inputs %+v", j.Inputs)
	}
}

func TestConfigOptionErrors(t *testing.T) {
	dir := t.TempDir()
	rulefile := filepath.Join(dir, "Rulefile")
	writeFile(t, rulefile, `rule "all" {}`)
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "a: [1\n")
	badJSON := filepath.Join(dir, "bad.json")
	writeFile(t, badJSON, `{"a": }`)
	list := filepath.Join(dir, "list.yaml")
	writeFile(t, list, "- a\n- b\n")
	for _, c := range []struct {
		opts    Options
		summary string
		detail  string
	}{
		{Options{ConfigFiles: []string{bad}}, "Invalid config file", bad},
		{Options{ConfigFiles: []string{badJSON}}, "Invalid config file", badJSON},
		{Options{ConfigFiles: []string{list}}, "Invalid config file", "must hold an object"},
		{Options{ConfigFiles: []string{filepath.Join(dir, "missing.yaml")}}, "Invalid config file", "missing.yaml"},
		{Options{ConfigOverrides: []string{"novalue"}}, "Invalid --config override", "novalue"},
		{Options{ConfigOverrides: []string{"a..b=1"}}, "Invalid --config override", "a..b"},
	} {
		wf, diags := Load(rulefile, c.opts)
		if wf == nil || len(diags) != 1 || diags[0].Summary != c.summary || !strings.Contains(diags[0].Detail, c.detail) {
			t.Errorf("%+v: got %v", c.opts, diags)
		}
	}
}

func TestLoadIncludes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Rulefile"), `
include = ["rules/qc.hcl", "rules/qc.hcl"]
ruleorder = concat(["qc"], ["all"])
rule "all" {
  input = "qc/summary.txt"
}
`)
	writeFile(t, filepath.Join(dir, "rules", "qc.hcl"), `
include = ["common.hcl"]
wildcard_constraints = { sample = "[a-z]+" }
rule "qc" {
  output = "qc/{sample}.txt"
}
`)
	writeFile(t, filepath.Join(dir, "rules", "common.hcl"), `
rule "common" {
  output = "common/{sample}.txt"
}
`)
	wf, diags := Load(filepath.Join(dir, "Rulefile"), Options{})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var names []string
	for _, r := range wf.Rules {
		names = append(names, r.Name)
	}
	if !reflect.DeepEqual(names, []string{"all", "qc", "common"}) {
		t.Errorf("rules %v", names)
	}
	want := []string{filepath.Join(dir, "Rulefile"), filepath.Join(dir, "rules", "qc.hcl"), filepath.Join(dir, "rules", "common.hcl")}
	if !reflect.DeepEqual(wf.Files, want) || len(wf.Sources()) != 3 {
		t.Errorf("files %v", wf.Files)
	}
	if !reflect.DeepEqual(wf.RuleOrder, []string{"qc", "all"}) {
		t.Errorf("ruleorder %v", wf.RuleOrder)
	}
	// Global constraints of any file apply to every rule.
	if c := wf.ByName["common"].Patterns[0].Constraint("sample"); c != "[a-z]+" {
		t.Errorf("constraint %q", c)
	}
	if _, ok := wf.ByName["common"].Patterns[0].Match("common/A1.txt"); ok {
		t.Error("constraint not applied")
	}
}

func TestLoadMissingRulefile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Rulefile")
	wf, diags := Load(path, Options{})
	if wf == nil || !diags.HasErrors() || diags[0].Summary != "No Rulefile" || !strings.Contains(diags[0].Detail, path) ||
		strings.Contains(diags[0].Detail, "Snakefile") {
		t.Errorf("diags %v", diags)
	}
	// Beside a Snakefile, the message says what flowmake reads instead
	// and where the translation is described.
	for _, sf := range []string{"workflow/Snakefile", "Snakefile"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, sf)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sf), []byte("rule all:\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, diags = Load(path, Options{})
		d := diags[0].Detail
		for _, part := range []string{path, filepath.Join(dir, sf), "HCL", "docs/migrating.md"} {
			if !strings.Contains(d, part) {
				t.Errorf("with %s: detail lacks %q: %s", sf, part, d)
			}
		}
	}
	// Another read error keeps its own words.
	if err := os.Mkdir(filepath.Join(dir, "Rulefile.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, diags = Load(filepath.Join(dir, "Rulefile.d"), Options{})
	if !diags.HasErrors() || diags[0].Summary != "Cannot read Rulefile" {
		t.Errorf("reading a directory: %v", diags)
	}
}

func TestParseIgnoresIncludes(t *testing.T) {
	wf, diags := Parse([]byte(`include = ["x.hcl"]
rule "a" {
  output = "a.txt"
}
`), "Rulefile")
	if diags.HasErrors() || len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || len(wf.Rules) != 1 {
		t.Errorf("diags %v", diags)
	}
}

func TestRuleModel(t *testing.T) {
	wf := parse(t, `
wildcard_constraints = { sample = "[a-z]+" }
rule "count" {
  output = { counts = temp("counts/./{sample}.{n}.txt"), stats = "stats//{sample}.{n,[0-9]+}.tsv" }
  wildcard_constraints = { sample = "[a-c]" }
  shell = "true"
}
checkpoint "split" {
  output = directory("parts/{sample}")
  script = "split.py"
}
`)
	r := wf.ByName["count"]
	if r.Checkpoint || !r.HasShell || r.HasScript || wf.Rules[0] != r {
		t.Errorf("rule %+v", r)
	}
	wantOut := []Path{{Name: "counts", Path: "counts/{sample}.{n}.txt", Flags: Temp}, {Name: "stats", Path: "stats/{sample}.{n,[0-9]+}.tsv"}}
	if !reflect.DeepEqual(r.Outputs, wantOut) {
		t.Errorf("outputs %+v", r.Outputs)
	}
	if !reflect.DeepEqual(r.Constraints, map[string]string{"sample": "[a-c]"}) {
		t.Errorf("constraints %v", r.Constraints)
	}
	if _, ok := r.Patterns[0].Match("counts/d.1.txt"); ok {
		t.Error("rule constraint not applied")
	}
	if m, ok := r.Patterns[1].Match("stats/a.12.tsv"); !ok || m["n"] != "12" {
		t.Errorf("match %v %v", m, ok)
	}
	if !reflect.DeepEqual(r.Wildcards(), []string{"sample", "n"}) {
		t.Errorf("wildcards %v", r.Wildcards())
	}
	cp := wf.ByName["split"]
	if !cp.Checkpoint || !cp.HasScript || cp.Outputs[0].Flags != Directory {
		t.Errorf("checkpoint %+v", cp)
	}
	if rng, ok := r.AttrRange("shell"); !ok || rng.Start.Line != 6 {
		t.Errorf("shell range %v", rng)
	}
	if r.Workflow() != wf {
		t.Error("Workflow")
	}
	if got := (Temp | Ancient).String(); got != "temp,ancient" {
		t.Errorf("flags %q", got)
	}
}

func TestWriteDiagnosticsWithoutSources(t *testing.T) {
	var b strings.Builder
	diags := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Boom", Detail: "It broke."}}
	if err := WriteDiagnostics(&b, diags, nil, 0); err != nil {
		t.Fatal(err)
	}
	if b.String() != "Error: Boom\n\nIt broke.\n\n" {
		t.Errorf("%q", b.String())
	}
	var nilWF *Workflow
	if nilWF.Sources() != nil {
		t.Error("nil Sources")
	}
}
