package rules

import (
	"reflect"
	"testing"
)

// EvalInto fills the job it is given, keeping its wildcard map (no copy),
// with the same result as Eval; on errors it leaves Rule and Wildcards only.
func TestEvalInto(t *testing.T) {
	wf := parse(t, `
rule "a" {
  input  = "in/{s}.txt"
  output = "out/{s}.txt"
  shell  = "cat ${input} > ${output}"
}
rule "bad" {
  output  = "bad/{s}.txt"
  threads = tonumber(wildcards.s)
  shell   = "true"
}
`)
	wc := map[string]string{"s": "x"}
	want := eval(t, wf, "a", map[string]string{"s": "x"}, Env{})
	job := &Job{Rule: wf.ByName["a"], Wildcards: wc}
	if diags := wf.ByName["a"].EvalInto(job, Env{}); diags.HasErrors() {
		t.Fatalf("EvalInto: %v", diags)
	}
	if !reflect.DeepEqual(job, want) {
		t.Errorf("EvalInto made\n%#v\nEval made\n%#v", job, want)
	}
	wc["s"] = "y" // the job's map is the one given
	if job.Wildcards["s"] != "y" {
		t.Errorf("EvalInto copied the wildcards")
	}

	bad := wf.ByName["bad"]
	bwc := map[string]string{"s": "x"}
	job = &Job{Rule: bad, Wildcards: bwc}
	if diags := bad.EvalInto(job, Env{}); !diags.HasErrors() {
		t.Fatalf("EvalInto of threads = tonumber(\"x\") gave no error")
	}
	if !reflect.DeepEqual(*job, Job{Rule: bad, Wildcards: bwc}) {
		t.Errorf("after an error the job is %#v, want Rule and Wildcards only", job)
	}
	if j, diags := bad.Eval(bwc, Env{}); j != nil || !diags.HasErrors() {
		t.Errorf("Eval of a bad job = %v, %v; want nil and errors", j, diags)
	}
}
