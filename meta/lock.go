package meta

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// LockName is the lock file inside the .flowmake directory.
const LockName = "lock"

// LockHandle is a held .flowmake/lock.
type LockHandle struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// Lock takes the working directory's lock: an exclusive, non-blocking
// flock(2) on dir/lock (dir is the .flowmake directory, created if
// missing), then writes "pid\nRFC3339 time\n" into the file for whoever
// finds it taken. If another process (or another open of the file in this
// one) holds it, Lock returns a *LockedError naming the holder.
//
// The kernel drops a flock when its holder dies, however it dies, so a
// stale lock never blocks a later run; the file itself stays and is never
// removed (removing it would let two processes lock two different files).
// The descriptor is close-on-exec: jobs flowmake starts do not inherit the
// lock.
func Lock(dir string) (*LockHandle, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create metadata directory %s: %w; remove or rename what is in the way", dir, err)
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, lockedError(path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	info := strconv.Itoa(os.Getpid()) + "\n" + time.Now().Format(time.RFC3339) + "\n"
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(info), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	return &LockHandle{f: f, path: path}, nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

// lockedError reads the holder from the lock file. The holder writes it
// right after taking the lock, so an empty file is retried briefly.
func lockedError(path string) *LockedError {
	e := &LockedError{Path: path}
	for range 20 {
		var ok bool
		if e.Pid, e.Since, ok = readLockInfo(path); ok {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return e
}

// Release empties the lock file and drops the lock. It is safe to call more
// than once.
func (l *LockHandle) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	terr := f.Truncate(0)
	uerr := flock(f, unix.LOCK_UN)
	cerr := f.Close()
	if err := errors.Join(terr, uerr, cerr); err != nil {
		return fmt.Errorf("release lock %s: %w", l.path, err)
	}
	return nil
}
