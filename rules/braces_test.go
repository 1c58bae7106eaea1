package rules

import (
	"strings"
	"testing"
)

func TestHCLForm(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{input}", "${input}"},
		{"{input[0]}", "${input[0]}"},
		{"{input.reads}", "${input.reads}"},
		{"{output.bam:q}", "${output.bam}"},
		{"{config[samples]}", "${config.samples}"},
		{`{config["two words"]}`, `${config["two words"]}`},
		{"{config[units][a]}", "${config.units.a}"},
		{"{params.x[1]}", "${params.x[1]}"},
	}
	for _, tt := range tests {
		m := snakemakeRef.FindStringSubmatch(tt.src)
		if m == nil {
			t.Errorf("%s: not found", tt.src)
			continue
		}
		if got := hclForm(m[1], m[2]); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.src, got, tt.want)
		}
	}
}

// What is not a Snakemake reference loads, and renders as written.
func TestBracesLeftAlone(t *testing.T) {
	src := `rule "r" {
  output = "out"
  shell  = "awk '{print $1}' x; echo {a,b} {} {{input}} $${input} ${"{input}"} {${"log"}} {inputs} {input,output} {thread}"
}`
	wf, diags := Parse([]byte(src), "Rulefile")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	j, diags := wf.ByName["r"].Eval(nil, Env{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := "awk '{print $1}' x; echo {a,b} {} {{input}} ${input} {input} {log} {inputs} {input,output} {thread}"
	if j.Shell != want {
		t.Errorf("shell\n got %s\nwant %s", j.Shell, want)
	}
}

func TestBracesReported(t *testing.T) {
	for _, ref := range []string{"{input}", "{input[0]}", "{input.reads}", "{output[0]}", "{wildcards.x}", "{params.x}",
		"{threads}", "{log}", "{resources.mem_mb}", "{config[k]}", "{rule}", "{input:q}"} {
		src := "rule \"r\" {\n  output = \"out/{x}\"\n  shell = \"echo " + ref + "\"\n}"
		_, diags := Parse([]byte(src), "Rulefile")
		if len(diags) != 1 || !strings.Contains(diags[0].Summary, "Snakemake-style") || diags[0].Subject.Start.Line != 3 || diags[0].Subject.Start.Column != 17 {
			t.Errorf("%s: %v", ref, diags)
		}
	}
}
