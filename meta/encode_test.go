package meta

import (
	"testing"
	"time"
)

func TestEncodeRecordTruncations(t *testing.T) {
	full := encodeRecord(func() *Record { r := sampleRecord(); return &r }())
	for n := range len(full) {
		if _, err := decodeRecord(full[:n]); err == nil {
			t.Errorf("decoding the first %d of %d bytes succeeded", n, len(full))
		}
	}
	rec, err := decodeRecord(full)
	if err != nil || !sameRecord(rec, sampleRecord()) {
		t.Fatalf("round trip: %v %+v", err, rec)
	}
}

func TestEncodeDeterministic(t *testing.T) {
	r := sampleRecord()
	r.Wildcards = map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}
	want := string(encodeRecord(&r))
	for range 20 {
		if got := string(encodeRecord(&r)); got != want {
			t.Fatal("map order leaks into the encoding")
		}
	}
}

func TestEncodeMarkAndHash(t *testing.T) {
	m := Mark{Output: "o", JobKey: "count (sample=a)", Since: time.Unix(5, 6)}
	got, err := decodeMark("o", encodeMark(m))
	if err != nil || got.JobKey != m.JobKey || !got.Since.Equal(m.Since) || got.Output != "o" {
		t.Errorf("mark: %+v %v", got, err)
	}
	h := FileHash{Size: 1 << 40, ModTime: time.Unix(0, 1), Sum: "abc"}
	gh, err := decodeHash(encodeHash(h))
	if err != nil || gh.Size != h.Size || !gh.ModTime.Equal(h.ModTime) || gh.Sum != h.Sum {
		t.Errorf("hash: %+v %v", gh, err)
	}
	if _, err := decodeHash(nil); err == nil {
		t.Error("empty hash value decoded")
	}
}

func FuzzDecodeRecord(f *testing.F) {
	r := sampleRecord()
	f.Add(encodeRecord(&r))
	f.Add([]byte{valueTag})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to a value that decodes the same.
		again, err := decodeRecord(encodeRecord(&rec))
		if err != nil || !sameRecord(rec, again) {
			t.Fatalf("re-encoding changed %+v into %+v (%v)", rec, again, err)
		}
	})
}

func TestVarints(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, -64, 64, 1 << 40, -(1 << 40), 1<<63 - 1, -1 << 63} {
		e := encoder{}
		e.int(v)
		d := newDecoder(e.b)
		if got := d.int(); got != v || d.end() != nil {
			t.Errorf("int %d -> %x -> %d, %v", v, e.b, got, d.err)
		}
	}
	for _, u := range []int{0, 127, 128, 1 << 20} {
		e := encoder{}
		e.uint(u)
		d := newDecoder(e.b)
		if got := d.uvarint(); got != uint64(u) || d.end() != nil {
			t.Errorf("uint %d -> %x -> %d, %v", u, e.b, got, d.err)
		}
	}
	// 10 bytes whose last one overflows 64 bits.
	d := newDecoder([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})
	if d.uvarint(); d.err == nil {
		t.Error("64-bit overflow not detected")
	}
}
