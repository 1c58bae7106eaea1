package meta

import (
	"errors"
	"fmt"
	"time"
)

// ErrReadOnly is returned by the write methods of a store opened with
// OpenOptions.ReadOnly.
var ErrReadOnly = errors.New("metadata store is open read-only")

// freshStart is the way out every damaged-store message offers.
func freshStart(path string) string {
	return fmt.Sprintf("remove %s to start afresh (outputs will then be judged by timestamps)", path)
}

// CorruptError says the metadata store cannot be used as it is: the file is
// not a bbolt database, a page of it is damaged, or one record does not
// decode. The store never repairs or deletes anything itself.
type CorruptError struct {
	Path   string // the database file, e.g. .flowmake/meta.db
	Output string // the output whose record is damaged, "" when the file as a whole is
	Err    error  // what was wrong
}

func (e *CorruptError) Error() string {
	if e.Output != "" {
		return fmt.Sprintf("metadata store %s: record of %s is damaged: %v; run flowmake --cleanup-metadata %s to drop it, or %s",
			e.Path, e.Output, e.Err, e.Output, freshStart(e.Path))
	}
	return fmt.Sprintf("metadata store %s is damaged: %v; %s", e.Path, e.Err, freshStart(e.Path))
}

func (e *CorruptError) Unwrap() error { return e.Err }

// VersionError says the store was written in a format this flowmake does not
// know: a newer one.
type VersionError struct {
	Path      string
	Found     int    // the store's format
	Supported int    // the newest format this flowmake reads (Format)
	Writer    string // the flowmake version that created the store, if recorded
}

func (e *VersionError) Error() string {
	by := ""
	if e.Writer != "" {
		by = " (created by flowmake " + e.Writer + ")"
	}
	return fmt.Sprintf("metadata store %s has format %d%s, newer than this flowmake reads (format %d); use a newer flowmake, or %s",
		e.Path, e.Found, by, e.Supported, freshStart(e.Path))
}

// BusyError says another process holds the database file open for writing
// (bbolt's own file lock) and did not let go within OpenOptions.Timeout.
// Pid and Since come from .flowmake/lock when it names a holder.
type BusyError struct {
	Path  string
	Pid   int
	Since time.Time
}

func (e *BusyError) Error() string {
	who := "another flowmake process"
	if e.Pid > 0 {
		who = fmt.Sprintf("flowmake pid %d since %s", e.Pid, e.Since.Format(time.RFC3339))
	}
	return fmt.Sprintf("metadata store %s is in use by %s; wait for it to finish and try again", e.Path, who)
}

// LockedError says another process holds .flowmake/lock.
type LockedError struct {
	Path  string    // the lock file
	Pid   int       // the holder's pid, 0 if it could not be read
	Since time.Time // when the holder took the lock, zero if unknown
}

func (e *LockedError) Error() string {
	const hint = "another flowmake is running in this directory; wait for it to finish or stop it"
	if e.Pid <= 0 {
		return fmt.Sprintf("locked by another flowmake process (%s): %s", e.Path, hint)
	}
	return fmt.Sprintf("locked by flowmake pid %d since %s: %s", e.Pid, e.Since.Format(time.RFC3339), hint)
}
