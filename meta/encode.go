package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Values are stored in a small binary encoding rather than JSON: decoding a
// record is on the path of every no-op run (one lookup per output), and
// this is several times faster than encoding/json while staying trivially
// bounds-checked. Every value starts with a tag byte so a later format can
// tell its own values apart.
//
//	record:  0x01 rule, nWildcards × (key, value) sorted by key, codeHash,
//	         paramsHash, nInputs × path, nInputHashes × (path, size, mtime,
//	         sum) sorted by path, start, end, exitStatus, version
//	mark:    0x01 since, jobKey
//	hash:    0x01 size, mtime, sum
//
// Strings are a uvarint length and the bytes; integers are zig-zag varints;
// times are Unix nanoseconds, 0 for the zero time.
const valueTag = 0x01

var errTruncated = errors.New("value is truncated")

type encoder struct{ b []byte }

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

// strs writes a list of strings: the count, then each.
func (e *encoder) strs(list []string) {
	e.uint(len(list))
	for _, s := range list {
		e.str(s)
	}
}

func (e *encoder) uint(u int) { e.b = binary.AppendUvarint(e.b, uint64(u)) }

func (e *encoder) int(i int64) { e.b = binary.AppendVarint(e.b, i) }

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.int(0)
		return
	}
	e.int(t.UnixNano())
}

// wildcards writes a job's wildcards sorted by key, so equal maps encode
// the same; keys is scratch space for a caller encoding many.
func (e *encoder) wildcards(wc map[string]string, keys []string) []string {
	keys = keys[:0]
	for k := range wc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.uint(len(keys))
	for _, k := range keys {
		e.str(k)
		e.str(wc[k])
	}
	return keys
}

// decoder reads a value. A full decoder (newDecoder) first copies the whole
// value into one string: the strings str returns are slices of it, so
// decoding a record costs one allocation for all its text instead of one
// per field. A view decoder (viewDecoder) copies nothing and has no str:
// raw returns slices of the value itself, for a caller that only compares
// them.
type decoder struct {
	b   []byte // the value
	s   string // a copy of b for str; "" in a view decoder
	off int    // where the next field starts
	err error
}

func newDecoder(b []byte) decoder { return decoder{b: b, s: string(b)} }

func viewDecoder(b []byte) decoder { return decoder{b: b} }

// fail records the first error and skips to the end, so that every later
// read fails too.
func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.off = len(d.b)
}

func (d *decoder) uvarint() uint64 {
	if d.off < len(d.b) {
		if c := d.b[d.off]; c < 0x80 { // one byte: most lengths and counts
			d.off++
			return uint64(c)
		}
	}
	return d.uvarintSlow()
}

func (d *decoder) uvarintSlow() uint64 {
	if d.err != nil {
		return 0
	}
	rest := d.b[d.off:]
	var x uint64
	for i := 0; i < len(rest) && i < binary.MaxVarintLen64; i++ {
		c := rest[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflows 64 bits
			}
			d.off += i + 1
			return x | uint64(c)<<(7*i)
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	d.fail(errTruncated)
	return 0
}

func (d *decoder) int() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// count reads a length of a list whose elements take at least one byte
// each, so a damaged length cannot ask for a huge allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.off) {
		d.fail(errTruncated)
		return 0
	}
	return int(n)
}

// span reads a string's length and skips its bytes, returning where they
// are; start == end after an error (fail skipped to the end).
func (d *decoder) span() (start, end int) {
	n := d.count()
	start = d.off
	d.off += n
	return start, d.off
}

// str reads a string; only for a full decoder.
func (d *decoder) str() string {
	start, end := d.span()
	return d.s[start:end]
}

// raw reads a string as a slice of the value: valid as long as the value
// is, and not to be modified.
// strs reads what encoder.strs wrote; nil for an empty list.
func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) raw() []byte {
	start, end := d.span()
	return d.b[start:end:end]
}

func (d *decoder) skip() { d.span() }

// wildcards reads what encoder.wildcards wrote; nil when there are none.
func (d *decoder) wildcards() map[string]string {
	n := d.count()
	if n == 0 {
		return nil
	}
	wc := make(map[string]string, n)
	for range n {
		k := d.str()
		wc[k] = d.str()
	}
	return wc
}

func (d *decoder) time() time.Time {
	ns := d.int()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func (d *decoder) tag() {
	if d.off >= len(d.b) {
		d.fail(errTruncated)
		return
	}
	if c := d.b[d.off]; c != valueTag {
		d.fail(fmt.Errorf("unknown value tag %#x", c))
		return
	}
	d.off++
}

func (d *decoder) end() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail(fmt.Errorf("%d stray bytes after the value", len(d.b)-d.off))
	}
	return d.err
}

func encodeRecord(r *Record) []byte {
	e := encoder{b: make([]byte, 0, 256)}
	e.b = append(e.b, valueTag)
	e.str(r.Rule)
	e.wildcards(r.Wildcards, nil)
	e.str(r.CodeHash)
	e.str(r.ParamsHash)
	e.strs(r.Inputs)
	paths := make([]string, 0, len(r.InputHashes))
	for p := range r.InputHashes {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	e.uint(len(paths))
	for _, p := range paths {
		h := r.InputHashes[p]
		e.str(p)
		e.int(h.Size)
		e.time(h.ModTime)
		e.str(h.Sum)
	}
	e.time(r.Start)
	e.time(r.End)
	e.int(int64(r.ExitStatus))
	e.str(r.Version)
	return e.b
}

func decodeRecord(b []byte) (Record, error) {
	d := newDecoder(b)
	var r Record
	d.tag()
	r.Rule = d.str()
	r.Wildcards = d.wildcards()
	r.CodeHash = d.str()
	r.ParamsHash = d.str()
	r.Inputs = d.strs()
	if n := d.count(); n > 0 {
		r.InputHashes = make(map[string]FileHash, n)
		for range n {
			p := d.str()
			var h FileHash
			h.Size = d.int()
			h.ModTime = d.time()
			h.Sum = d.str()
			r.InputHashes[p] = h
		}
	}
	r.Start = d.time()
	r.End = d.time()
	r.ExitStatus = int(d.int())
	r.Version = d.str()
	if err := d.end(); err != nil {
		return Record{}, err
	}
	return r, nil
}

// recordView is what a staleness check compares of a stored record, as
// slices of the stored value: valid only as long as the value is (inside
// the read transaction and the Reader's guard), never to be kept.
type recordView struct {
	codeHash, paramsHash []byte
	nInputs              int
	inputs               []byte // nInputs encoded strings
}

// viewRecord is decodeRecord for the checker: it walks the whole value
// with the same reads, so it fails on exactly the values decodeRecord
// fails on (FuzzViewRecord), but copies and allocates nothing; the
// fields the checker does not compare are skipped.
func viewRecord(b []byte) (recordView, error) {
	d := viewDecoder(b)
	var v recordView
	d.tag()
	d.skip()              // rule
	for range d.count() { // wildcards
		d.skip()
		d.skip()
	}
	v.codeHash = d.raw()
	v.paramsHash = d.raw()
	v.nInputs = d.count()
	start := d.off
	for range v.nInputs {
		d.skip()
	}
	v.inputs = b[start:d.off:d.off]
	for range d.count() { // input hashes
		d.skip() // path
		d.int()  // size
		d.int()  // mtime
		d.skip() // sum
	}
	d.int()  // start
	d.int()  // end
	d.int()  // exit status
	d.skip() // version
	if err := d.end(); err != nil {
		return recordView{}, err
	}
	return v, nil
}

// inputList copies the view's input list, as decodeRecord gives it.
func (v *recordView) inputList() []string {
	if v.nInputs == 0 {
		return nil
	}
	out := make([]string, v.nInputs)
	d := newDecoder(v.inputs)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func encodeMark(m Mark) []byte {
	e := encoder{b: make([]byte, 0, 16+len(m.JobKey))}
	e.b = append(e.b, valueTag)
	e.time(m.Since)
	e.str(m.JobKey)
	return e.b
}

func decodeMark(output string, b []byte) (Mark, error) {
	d := newDecoder(b)
	d.tag()
	m := Mark{Output: output}
	m.Since = d.time()
	m.JobKey = d.str()
	return m, d.end()
}

func encodeHash(h FileHash) []byte {
	e := encoder{b: make([]byte, 0, 40)}
	e.b = append(e.b, valueTag)
	e.int(h.Size)
	e.time(h.ModTime)
	e.str(h.Sum)
	return e.b
}

func decodeHash(b []byte) (FileHash, error) {
	d := newDecoder(b)
	d.tag()
	var h FileHash
	h.Size = d.int()
	h.ModTime = d.time()
	h.Sum = d.str()
	return h, d.end()
}
