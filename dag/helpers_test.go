package dag

import (
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/flowmake/flowmake/rules"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// parse loads a Rulefile from text; problems fail the test.
func parse(t testing.TB, src string) *rules.Workflow {
	t.Helper()
	wf, diags := rules.Parse([]byte(src), "Rulefile")
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags.Error())
	}
	return wf
}

// disk makes a MapFS from "path" -> minutes after t0.
func disk(files map[string]int) fstest.MapFS {
	m := fstest.MapFS{}
	for p, min := range files {
		m[p] = &fstest.MapFile{ModTime: t0.Add(time.Duration(min) * time.Minute)}
	}
	return m
}

// summary renders a graph as "job: reason" lines in Jobs order; up-to-date
// jobs show "-", held-back ones "held (reason)".
func summary(g *Graph) string {
	var b strings.Builder
	for _, j := range g.Jobs {
		b.WriteString(j.String())
		b.WriteString(": ")
		switch {
		case j.Stale:
			b.WriteString(j.Reason.String())
		case j.Reason.Kind != UpToDate:
			b.WriteString("held (" + j.Reason.String() + ")")
		default:
			b.WriteString("-")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// staleSet lists stale jobs, sorted, joined by "; ".
func staleSet(g *Graph) string {
	var s []string
	for _, j := range g.Jobs {
		if j.Stale {
			s = append(s, j.String()+": "+j.Reason.String())
		}
	}
	sort.Strings(s)
	return strings.Join(s, "; ")
}

// parseLax parses without failing the test, for error tables.
func parseLax(src string) (*rules.Workflow, error) {
	wf, diags := rules.Parse([]byte(src), "Rulefile")
	if diags.HasErrors() {
		return nil, diags
	}
	return wf, nil
}
