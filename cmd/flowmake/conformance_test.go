package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/flowmake/flowmake/internal/conformance"
)

// TestConformance replays every case of testdata/conformance against the
// real binary and compares each run step with what Snakemake 7.21 showed
// when the case was recorded (or with the case's override, for a decided
// difference). A case stops at its first mismatching step: the later steps
// build on its state, so their differences would only be echoes.
func TestConformance(t *testing.T) {
	cases, err := conformance.LoadAll(filepath.Join("..", "..", "testdata", "conformance"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no conformance cases found")
	}
	tool := conformance.Flowmake(flowmakeBin)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			p, err := conformance.NewPlay(c, tool, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.Steps {
				o, err := p.Step(context.Background(), i)
				if err != nil {
					t.Fatal(err)
				}
				if o == nil {
					continue
				}
				want, ov, err := c.Want(o.Step)
				if err != nil {
					t.Fatal(err)
				}
				if diffs := conformance.Check(want, ov, o); len(diffs) > 0 || o.TimedOut {
					t.Fatalf("%s(%d later steps not played)", conformance.Report(c, o, tool, ov, diffs), len(c.Steps)-i-1)
				}
			}
		})
	}
}
