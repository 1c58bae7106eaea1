package dag

import (
	"errors"
	"strings"
	"testing"
)

// TestEscapingTargets checks that a target which a rule would make only by
// binding a wildcard outside the working directory is refused with an
// *EscapeError naming it, while literal text may point outside and values
// may hold "/".
func TestEscapingTargets(t *testing.T) {
	const src = `
rule "copy" {
  output = "{name}.txt"
  shell  = "echo > ${output}"
}
rule "up" {
  input  = "../data/{s}.fq"
  output = "up/{s}.out"
  shell  = "cp ${input} ${output}"
}
`
	tests := []struct {
		target string
		files  map[string]int
		want   string // substring of the error; "" for no error
		job    string // with want "": the target's job
	}{
		{"../outside.txt", nil, `target ../outside.txt: a wildcard value may not leave the working directory ({name}="../outside" in output "{name}.txt" of rule copy)`, ""},
		{"/tmp/x.txt", nil, `target /tmp/x.txt: a wildcard value may not leave the working directory ({name}="/tmp/x"`, ""},
		{"a/../../x.txt", nil, `target a/../../x.txt: a wildcard value may not leave the working directory ({name}="../x"`, ""},
		{"a/b.txt", nil, "", "copy (name=a/b)"},
		// Literal text may point outside: the rule is chosen (fstest.MapFS
		// cannot hold ../data/A.fq, so the input is missing).
		{"up/A.out", nil, "no rule makes ../data/A.fq, needed by up/A.out (rule up, s=A)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			g, err := Build(parse(t, src), Options{Targets: []string{tt.target}, Stat: disk(tt.files)})
			if tt.want != "" {
				var e *EscapeError
				if !strings.HasPrefix(tt.want, "target ") {
					if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &e) {
						t.Fatalf("Build(%s) error = %v, want %q", tt.target, err, tt.want)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &e) || e.Target != tt.target {
					t.Fatalf("Build(%s) error = %v, want *EscapeError with %q", tt.target, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Build(%s): %v", tt.target, err)
			}
			var jobs []string
			for _, j := range g.Jobs {
				jobs = append(jobs, j.String())
			}
			if got := strings.Join(jobs, ", "); got != tt.job {
				t.Errorf("Build(%s) jobs = %q, want %q", tt.target, got, tt.job)
			}
		})
	}
}
