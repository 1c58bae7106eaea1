package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/rules"
)

// deleteOutputs is --delete-all-output and --delete-temp-output: the
// outputs of the targets' graph (only the temp() ones for the latter)
// that exist and that flowmake made, that is whose metadata record names
// the rule of the job that makes them now. A file with no record (made by
// hand, or before flowmake ran here) is never deleted, nor is a
// protected() output. With -n the files are listed, on stdout, and kept.
// A deleted output's metadata is forgotten with it.
func deleteOutputs(o *options, g *dag.Graph, store *meta.Store) error {
	flag := "--delete-all-output"
	if o.deleteTemp {
		flag = "--delete-temp-output"
	}
	var doomed []string
	dirs := map[string]bool{} // directory() outputs: removed with their contents
	unrecorded := 0
	err := store.View(func(r *meta.Reader) error {
		for _, j := range g.Jobs {
			for _, p := range j.Spec.Outputs {
				if o.deleteTemp && p.Flags&rules.Temp == 0 || p.Flags&rules.Protected != 0 {
					continue
				}
				if _, err := os.Lstat(o.path(p.Path)); err != nil {
					continue
				}
				rec, ok, err := r.Get(p.Path)
				if err != nil {
					return err
				}
				if !ok || rec.Rule != j.Spec.Rule.Name {
					unrecorded++
					continue
				}
				doomed = append(doomed, p.Path)
				dirs[p.Path] = p.Flags&rules.Directory != 0
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if o.dryRun {
		for _, p := range doomed {
			fmt.Fprintf(o.stdout, "Would delete %s\n", p)
		}
		fmt.Fprintf(o.stderr, "This was a dry run (-n): %s would delete %d %s%s.\n", flag, len(doomed), plural(len(doomed), "output", "outputs"), keptNote(unrecorded))
		return nil
	}
	var gone []string
	var errs []error
	for _, p := range doomed {
		// A recorded directory() output goes with its contents; any other
		// output is one file, and a directory found in its place (made by
		// hand since) is not flowmake's to empty: Remove refuses it.
		remove := os.Remove
		if dirs[p] {
			remove = os.RemoveAll
		}
		if err := remove(o.path(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%s: %w", flag, err))
			continue
		}
		gone = append(gone, p)
	}
	if _, err := store.Forget(gone); err != nil {
		errs = append(errs, err)
	}
	fmt.Fprintf(o.stderr, "Deleted %d %s%s.\n", len(gone), plural(len(gone), "output", "outputs"), keptNote(unrecorded))
	return errors.Join(errs...)
}

// keptNote says how many existing outputs were kept for want of a record.
func keptNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; kept %d that flowmake has no record of making", n)
}
