package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/meta"
)

// summaryRow is one output of the targets' graph (--summary).
type summaryRow struct {
	Path     string `json:"path"`
	Modified string `json:"modified,omitempty"` // RFC 3339; empty when missing
	Rule     string `json:"rule"`
	State    string `json:"state"`            // ok, missing, stale, incomplete
	Reason   string `json:"reason,omitempty"` // why stale
}

func summaryRows(o *options, g *dag.Graph) []summaryRow {
	var rows []summaryRow
	for _, j := range g.Jobs {
		for _, p := range j.Spec.Outputs {
			row := summaryRow{Path: p.Path, Rule: j.Spec.Rule.Name, State: "ok"}
			st, err := os.Stat(o.path(p.Path))
			switch {
			case err != nil:
				row.State = "missing"
			case j.Stale && j.Reason.Kind == dag.Incomplete:
				row.State = "incomplete"
			case j.Stale:
				row.State = "stale"
			}
			if err == nil {
				row.Modified = st.ModTime().Format(time.RFC3339)
			}
			if j.Stale {
				row.Reason = j.Reason.String()
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func writeSummary(o *options, g *dag.Graph, store *meta.Store) error {
	rows := summaryRows(o, g)
	if o.jsonOut {
		enc := json.NewEncoder(o.stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []summaryRow{}
		}
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(o.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "output\tmodified\trule\tstate")
	for _, r := range rows {
		state := r.State
		if r.State == "stale" {
			state = "stale: " + r.Reason
		}
		mod := r.Modified
		if mod == "" {
			mod = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Path, mod, r.Rule, state)
	}
	return tw.Flush()
}

// listChanges prints the outputs whose jobs changed in the given way since
// the outputs were made (--list-changes code|params|input): a checker with
// only that trigger judges each job.
func listChanges(o *options, g *dag.Graph, store *meta.Store) error {
	var t meta.Triggers
	var want dag.ReasonKind
	switch o.listChanges {
	case "code":
		t.Code, want = true, dag.CodeChanged
	case "params":
		t.Params, want = true, dag.ParamsChanged
	case "input":
		t.Input, want = true, dag.InputListChanged
	}
	checker := meta.NewChecker(store, t, o.directory)
	for _, j := range g.Jobs {
		if checker.Check(j, dag.Reason{}).Kind != want {
			continue
		}
		for _, p := range j.Spec.Outputs {
			fmt.Fprintln(o.stdout, p.Path)
		}
	}
	return checker.Err()
}
