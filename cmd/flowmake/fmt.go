package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/flowmake/flowmake/rules"
)

// fmtOptions are flowmake fmt's command line.
type fmtOptions struct {
	check     bool
	rulefile  string
	directory string
	files     []string

	stdout, stderr io.Writer
}

func newFmtCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &fmtOptions{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "fmt [--check] [FILE...]",
		Short: "Rewrite Rulefiles in canonical form (--check: list those that would change)",
		Long: `fmt rewrites each FILE in canonical HCL form: spacing, indentation and aligned
"=" signs; comments, heredocs and order are kept. With no FILE it formats the
Rulefile (-s, -C as for a run) and the files it includes. It prints the name of
each file it rewrote.

--check writes nothing: it lists the files that would change and exits 1 if
there is one, for CI. A file with a syntax error is left untouched; its error
is printed and fmt exits 1.`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			if err := runFmt(o); err != nil {
				return runError{err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.check, "check", false, "write nothing; list the files that are not in canonical form and exit 1 if there is one")
	f.StringVarP(&o.rulefile, "rulefile", "s", "", "the Rulefile, with no FILE (default: Rulefile in the working directory)")
	f.StringVarP(&o.directory, "directory", "C", "", "working directory of the workflow, with no FILE (default: current directory)")
	return cmd
}

// runFmt formats o.files, or the Rulefile and its includes.
func runFmt(o *fmtOptions) error {
	files := o.files
	if len(files) == 0 {
		var err error
		if files, err = o.workflowFiles(); err != nil {
			return err
		}
	}
	failed := false
	for _, name := range files {
		changed, err := o.formatFile(name)
		if err != nil {
			failed = true
			continue
		}
		if changed {
			fmt.Fprintln(o.stdout, name)
			if o.check {
				failed = true
			}
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// workflowFiles names the Rulefile and the files it includes, as a run
// would read them. Errors beyond reading (an unknown rule in a
// dependency) are no business of fmt's: each file is formatted on its
// own and its syntax errors are reported then.
func (o *fmtOptions) workflowFiles() ([]string, error) {
	dir := o.directory
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, usagef("-C %s: not a directory", dir)
	}
	rulefile := o.rulefile
	if rulefile == "" {
		rulefile = filepath.Join(dir, "Rulefile")
	}
	abs, _ := filepath.Abs(dir)
	wf, diags := rules.Load(rulefile, rules.Options{Dir: abs})
	if len(wf.Files) == 0 {
		wf.WriteDiagnostics(o.stderr, diags, 0)
		return nil, errReported
	}
	// A missing include or an include cycle leaves a file unformatted
	// without a syntax error to say so.
	var missing hcl.Diagnostics
	for _, d := range diags {
		if d.Summary == "Missing include" || d.Summary == "Include cycle" {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		wf.WriteDiagnostics(o.stderr, missing, 0)
	}
	return wf.Files, nil
}

// formatFile formats one file, or with --check compares it only. It
// reports whether the file is (or was) not in canonical form; diagnostics
// and I/O errors are printed here.
func (o *fmtOptions) formatFile(name string) (bool, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(o.stderr, "flowmake fmt: %v\n", err)
		return false, err
	}
	out, diags := rules.Format(src, name)
	if diags.HasErrors() {
		// Parse keeps the sources as Load does (the broken body, which
		// names the block in a snippet; none for a binary file), so the
		// diagnostics read as the root command's.
		wf, _ := rules.Parse(src, name)
		wf.WriteDiagnostics(o.stderr, diags, 0)
		return false, errReported
	}
	if bytes.Equal(out, src) {
		return false, nil
	}
	if o.check {
		return true, nil
	}
	if err := writeAtomic(name, out); err != nil {
		fmt.Fprintf(o.stderr, "flowmake fmt: %v\n", err)
		return false, err
	}
	return true, nil
}

// writeAtomic replaces the file at name with data, keeping its mode: a
// temporary file in the same directory renamed over it, so an interrupted
// fmt never leaves half a Rulefile. Through a symbolic link the link's
// target is rewritten and the link kept.
func writeAtomic(name string, data []byte) error {
	if real, err := filepath.EvalSymlinks(name); err == nil {
		name = real
	}
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	return replaceFile(name, data, st.Mode().Perm())
}

// replaceFile writes data to name atomically, with mode perm: a temporary
// file in the same directory renamed over it, so a reader never sees half
// a file. fmt and report write through it.
func replaceFile(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
