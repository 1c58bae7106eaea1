package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/flowmake/flowmake/rules"
)

// lintOptions are flowmake lint's command line.
type lintOptions struct {
	rulefile  string
	directory string

	stderr io.Writer
}

func newLintCmd(stderr io.Writer) *cobra.Command {
	o := &lintOptions{stderr: stderr}
	cmd := &cobra.Command{
		Use:   "lint [-s FILE] [-C DIR]",
		Short: "Warn of likely mistakes in the Rulefile (exit 1 if there is one)",
		Long: `lint loads the Rulefile (-s, -C as for a run) and its includes and prints a
warning, with file:line, for: an absolute path in input, output or log; a rule
with a shell or script but no log; an output no input names, of a rule other
than the first; a wildcard with the default constraint that also matches
another rule's output across a "/"; a file named in a shell that the rule does
not declare; a config key nothing uses; config read inside shell instead of
through params. docs/cli.md says exactly when each fires.

It exits 0 with no output when there is nothing to say, 1 when there are
warnings, and 1 with the errors when the Rulefile does not load.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := runLint(o); err != nil {
				return runError{err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.rulefile, "rulefile", "s", "", "the Rulefile (default: Rulefile in the working directory)")
	f.StringVarP(&o.directory, "directory", "C", "", "working directory of the workflow (default: current directory)")
	return cmd
}

func runLint(o *lintOptions) error {
	dir := o.directory
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("-C %s: not a directory", dir)
	}
	rulefile := o.rulefile
	if rulefile == "" {
		rulefile = filepath.Join(dir, "Rulefile")
	}
	abs, _ := filepath.Abs(dir)
	wf, diags := rules.Load(rulefile, rules.Options{Dir: abs})
	if diags.HasErrors() {
		wf.WriteDiagnostics(o.stderr, diags, 0)
		return errReported
	}
	diags = append(diags, rules.Lint(wf, abs)...)
	if len(diags) == 0 {
		return nil
	}
	wf.WriteDiagnostics(o.stderr, diags, 0)
	return errReported
}
