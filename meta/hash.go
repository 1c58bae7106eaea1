package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/flowmake/flowmake/workdir"
)

// racyWindow: a file modified this recently is hashed but its hash is not
// cached, since a second write within the same mtime tick could keep size
// and mtime (git's "racily clean" problem).
const racyWindow = time.Second

func sum64(u uint64) string {
	b := hex16(u)
	return string(b[:])
}

// hex16 is sum64 without the string, for comparing without allocating.
func hex16(u uint64) [16]byte {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[u&0xf]
		u >>= 4
	}
	return b
}

// CodeHash hashes a job's code: the rendered shell command, or the script's
// text.
func CodeHash(text string) string { return sum64(xxhash.Sum64String(text)) }

// ParamsHash hashes params as canonical JSON (go-cty's encoding with the
// value's own type: object attributes and map keys sorted, numbers in
// shortest form). Marks are dropped. A value that is not wholly known, or
// cannot be encoded, hashes to a fixed marker for its case, never panics.
func ParamsHash(params cty.Value) string { return sum64(paramsSum(params)) }

// emptyParams is the paramsSum of cty.EmptyObjectVal, the params of every
// job whose rule has none.
var emptyParams = xxhash.Sum64String("{}")

// paramsSum is ParamsHash before formatting.
func paramsSum(params cty.Value) (h uint64) {
	defer func() {
		if p := recover(); p != nil {
			h = xxhash.Sum64String("params: invalid: " + fmt.Sprint(p))
		}
	}()
	t := params.Type()
	if t == cty.NilType {
		return xxhash.Sum64String("params: none")
	}
	if t.IsObjectType() && len(t.AttributeTypes()) == 0 && params.IsKnown() && !params.IsNull() {
		return emptyParams // what appendJSON gives, without its work
	}
	var buf [256]byte
	if b, ok := appendJSON(buf[:0], params); ok {
		return xxhash.Sum64(b)
	}
	v, _ := params.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return xxhash.Sum64String("params: unknown " + v.Type().FriendlyName())
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return xxhash.Sum64String("params: invalid: " + err.Error())
	}
	return xxhash.Sum64(b)
}

// appendJSON is a fast path for ctyjson.Marshal(v.UnmarkDeep(), v.Type())
// with byte-identical output (TestAppendJSONMatchesCty), for the values
// params hold: known strings, bools, numbers, and collections of them,
// marked or not (marks are dropped node by node, without UnmarkDeep's
// copy of the whole value).
// It reports false for anything else (dynamic or capsule types, unknowns,
// infinities, numbers without an int64 form), which then takes the slow
// path. It exists because ctyjson formats every number through big.Float's
// shortest-decimal routine, which made params hashing most of a no-op
// run's staleness pass.
func appendJSON(b []byte, v cty.Value) ([]byte, bool) {
	v, _ = v.Unmark()
	t := v.Type()
	if t == cty.DynamicPseudoType || t.IsCapsuleType() || !v.IsKnown() {
		return b, false
	}
	if v.IsNull() {
		return append(b, "null"...), true
	}
	switch {
	case t == cty.String:
		return appendJSONString(b, v.AsString()), true
	case t == cty.Bool:
		if v.True() {
			return append(b, "true"...), true
		}
		return append(b, "false"...), true
	case t == cty.Number:
		bf := v.AsBigFloat()
		if !bf.IsInt() || bf.Sign() == 0 && bf.Signbit() {
			return b, false
		}
		i, acc := bf.Int64()
		if acc != big.Exact {
			return b, false
		}
		return strconv.AppendInt(b, i, 10), true
	case t.IsListType(), t.IsSetType(), t.IsTupleType():
		// AsValueSlice keeps ElementIterator's order (sets included)
		// without a cty.Number key per element.
		b = append(b, '[')
		for i, ev := range v.AsValueSlice() {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSON(b, ev); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case t.IsObjectType():
		var small [16]string
		names := small[:0]
		for k := range t.AttributeTypes() {
			names = append(names, k)
		}
		slices.Sort(names)
		b = append(b, '{')
		for i, k := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendJSON(b, v.GetAttr(k)); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case t.IsMapType():
		b = append(b, '{')
		first := true
		for it := v.ElementIterator(); it.Next(); { // sorted by key
			if !first {
				b = append(b, ',')
			}
			first = false
			ek, ev := it.Element()
			b = appendJSONString(b, ek.AsString())
			b = append(b, ':')
			var ok bool
			if b, ok = appendJSON(b, ev); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// appendJSONString quotes s as encoding/json does (ctyjson uses it):
// plain printable ASCII directly, anything else through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// HashFile returns the size, mtime and content hash of path. A relative
// path is relative to the working directory (the parent of the .flowmake
// directory), not to the process's. The hash is cached in the store by
// path, size and mtime, so an unchanged file is read once; the file is
// streamed, never read whole into memory. New cache entries are written
// with the next write transaction or by Close.
func (s *Store) HashFile(path string) (FileHash, error) {
	k := key(path)
	return s.hashAt(nil, k, s.root.Path(k))
}

// HashInputs hashes the inputs (relative to dir) for Record.InputHashes.
// Inputs that cannot be hashed (directories, vanished files) are left out:
// the content check then cannot vouch for them and keeps the timestamp
// verdict.
func (s *Store) HashInputs(dir string, inputs []string) map[string]FileHash {
	return s.hashInputs(workdir.Dir(dir), inputs)
}

func (s *Store) hashInputs(dir workdir.Dir, inputs []string) map[string]FileHash {
	var out map[string]FileHash
	for _, in := range inputs {
		k := key(in)
		h, err := s.hashAt(nil, k, dir.Path(k))
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
