// Package workdir owns the working directory of a run: the directory a
// workflow's paths are relative to (flowmake's -C DIR), and how a job
// path becomes a path the operating system can open.
//
// A job path is what a Rulefile, a target or a glob names: slash-separated
// and relative to the working directory, or absolute, in which case it is
// used as it is. Every layer that touches the disk for a job path (rules'
// glob_wildcards, dag's stat, exec's outputs and logs, meta's hashes, the
// CLI's reports) goes through Dir.Path, so that "relative to what" has one
// answer: with -C, DIR, never the directory flowmake was started in.
//
// The package imports nothing of flowmake's, so every layer may import it.
package workdir

import "path/filepath"

// Dir is the working directory of a run, as an OS path. The zero value
// is the process's current directory.
type Dir string

// Path returns the OS path of the job path p: p joined onto d and
// cleaned, or p itself when it is absolute. With the zero Dir a relative
// p stays relative, so it is opened from the process's current directory.
func (d Dir) Path(p string) string {
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(string(d), p)
}

// OS returns the directory itself as an OS path: "." for the zero Dir,
// never "", so it can be passed to os.DirFS, os.ReadDir or filepath.Join.
func (d Dir) OS() string { return d.Path(".") }
