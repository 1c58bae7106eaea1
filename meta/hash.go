package meta

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// racyWindow: a file modified this recently is hashed but its hash is not
// cached, since a second write within the same mtime tick could keep size
// and mtime (git's "racily clean" problem).
const racyWindow = time.Second

func sum64(u uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[u&0xf]
		u >>= 4
	}
	return string(b[:])
}

// CodeHash hashes a job's code: the rendered shell command, or the script's
// text.
func CodeHash(text string) string { return sum64(xxhash.Sum64String(text)) }

// ParamsHash hashes params as canonical JSON (go-cty's encoding with the
// value's own type: object attributes and map keys sorted, numbers in
// shortest form). Marks are dropped. A value that is not wholly known, or
// cannot be encoded, hashes to a fixed marker for its case, never panics.
func ParamsHash(params cty.Value) (h string) {
	defer func() {
		if p := recover(); p != nil {
			h = CodeHash("params: invalid: " + fmt.Sprint(p))
		}
	}()
	if params.Type() == cty.NilType {
		return CodeHash("params: none")
	}
	v, _ := params.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return CodeHash("params: unknown " + v.Type().FriendlyName())
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return CodeHash("params: invalid: " + err.Error())
	}
	return sum64(xxhash.Sum64(b))
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// resolve returns the file system path of a path relative to dir.
func resolve(dir, p string) string {
	if dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// HashFile returns the size, mtime and content hash of path. A relative
// path is relative to the working directory (the parent of the .flowmake
// directory), not to the process's. The hash is cached in the store by
// path, size and mtime, so an unchanged file is read once; the file is
// streamed, never read whole into memory. New cache entries are written
// with the next write transaction or by Close.
func (s *Store) HashFile(path string) (FileHash, error) {
	k := key(path)
	return s.hashAt(nil, k, resolve(s.root, k))
}

// HashInputs hashes the inputs (relative to dir) for Record.InputHashes.
// Inputs that cannot be hashed (directories, vanished files) are left out:
// the content check then cannot vouch for them and keeps the timestamp
// verdict.
func (s *Store) HashInputs(dir string, inputs []string) map[string]FileHash {
	var out map[string]FileHash
	for _, in := range inputs {
		k := key(in)
		h, err := s.hashAt(nil, k, resolve(dir, k))
		if err != nil {
			continue
		}
		if out == nil {
			out = make(map[string]FileHash, len(inputs))
		}
		out[k] = h
	}
	return out
}

// hashAt hashes the file at fsPath, cached under k; r, when not nil, is
// the open read transaction to consult the cache in.
func (s *Store) hashAt(r *Reader, k, fsPath string) (FileHash, error) {
	f, err := os.Open(fsPath)
	if err != nil {
		return FileHash{}, hashError(fsPath, err)
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return FileHash{}, hashError(fsPath, err)
	}
	if before.IsDir() {
		return FileHash{}, fmt.Errorf("hash %s: %w", fsPath, errIsDir)
	}
	if h, ok := s.cachedHash(r, k); ok && h.Size == before.Size() && h.ModTime.Equal(before.ModTime()) {
		return h, nil
	}
	d := xxhash.New()
	bp := bufPool.Get().(*[]byte)
	_, err = io.CopyBuffer(d, struct{ io.Reader }{f}, *bp) // hide WriterTo: use our buffer
	bufPool.Put(bp)
	if err != nil {
		return FileHash{}, hashError(fsPath, err)
	}
	h := FileHash{Size: before.Size(), ModTime: before.ModTime(), Sum: sum64(d.Sum64())}
	after, err := f.Stat()
	if err == nil && after.Size() == before.Size() && after.ModTime().Equal(before.ModTime()) &&
		time.Since(before.ModTime()) > racyWindow {
		s.hmu.Lock()
		s.pending[k] = h
		s.hmu.Unlock()
	}
	return h, nil
}

var errIsDir = errors.New("is a directory")

// hashError says which file could not be hashed, without repeating the
// path an *fs.PathError already carries.
func hashError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("hash %s: %w", path, err)
}

func (s *Store) cachedHash(r *Reader, k string) (FileHash, bool) {
	s.hmu.Lock()
	h, ok := s.pending[k]
	s.hmu.Unlock()
	if ok || s.db == nil {
		return h, ok
	}
	if r != nil {
		return r.hash(k)
	}
	_ = s.View(func(r *Reader) error {
		h, ok = r.hash(k)
		return nil
	})
	return h, ok
}

func (s *Store) takePending() map[string]FileHash {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	p := s.pending
	s.pending = make(map[string]FileHash)
	return p
}

func (s *Store) pendingHashes() int {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	return len(s.pending)
}

// readLockInfo reads "pid\nRFC3339 time\n" from a lock file.
func readLockInfo(path string) (pid int, since time.Time, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, time.Time{}, false
	}
	var line [2]string
	n := 0
	for i, start := 0, 0; i < len(b) && n < 2; i++ {
		if b[i] == '\n' {
			line[n] = string(b[start:i])
			n++
			start = i + 1
		}
	}
	if n < 2 {
		return 0, time.Time{}, false
	}
	pid, err = strconv.Atoi(line[0])
	if err != nil || pid <= 0 {
		return 0, time.Time{}, false
	}
	since, err = time.Parse(time.RFC3339, line[1])
	if err != nil {
		return 0, time.Time{}, false
	}
	return pid, since, true
}
