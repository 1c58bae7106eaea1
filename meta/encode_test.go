package meta

import (
	"encoding/hex"
	"slices"
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

// storedRecord is sampleRecord as format 1 stores it (encodeRecord before
// viewRecord existed): the view decoder must read what is on disk.
const storedRecord = "0105636f756e74020673616d706c65016104756e697404c3bc203110663866663166393364356130653433311030313233343536373839616263646566020a646174612f612e747874067265662e6661010a646174612f612e74787418aab4aed8c7bfce972f103030303030303030646561646265656682a087eaafc5ce972f84c0bef198cbce972f0005302e312e30"

func TestViewRecordReadsStoredRecord(t *testing.T) {
	b, err := hex.DecodeString(storedRecord)
	must(t, err)
	want := sampleRecord()
	if got := encodeRecord(&want); string(got) != string(b) {
		t.Fatalf("the encoding changed:\n%x\nwas\n%s", got, storedRecord)
	}
	rec, err := decodeRecord(b)
	if err != nil || !sameRecord(rec, want) {
		t.Fatalf("decodeRecord: %v %+v", err, rec)
	}
	v, err := viewRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	checkView(t, v, rec)
}

// checkView compares a view with the full decode of the same value.
func checkView(t *testing.T, v recordView, rec Record) {
	t.Helper()
	if string(v.codeHash) != rec.CodeHash || string(v.paramsHash) != rec.ParamsHash || !slices.Equal(v.inputList(), rec.Inputs) {
		t.Errorf("view %q %q %q, record %+v", v.codeHash, v.paramsHash, v.inputList(), rec)
	}
}

// The view decoder fails on exactly the values the full one fails on, and
// agrees with it on the rest.
func TestViewRecordMatchesDecode(t *testing.T) {
	empty := Record{}
	noInputs := sampleRecord()
	noInputs.Inputs, noInputs.InputHashes, noInputs.Wildcards = nil, nil, nil
	for _, r := range []Record{sampleRecord(), empty, noInputs} {
		full := encodeRecord(&r)
		for n := range len(full) + 1 {
			b := full[:n]
			rec, err := decodeRecord(b)
			v, verr := viewRecord(b)
			if (err == nil) != (verr == nil) {
				t.Fatalf("%d of %d bytes: decodeRecord %v, viewRecord %v", n, len(full), err, verr)
			}
			if err == nil {
				checkView(t, v, rec)
			}
		}
		if _, err := viewRecord(append(full, 0)); err == nil {
			t.Error("stray byte accepted")
		}
	}
}

func FuzzViewRecord(f *testing.F) {
	r := sampleRecord()
	f.Add(encodeRecord(&r))
	f.Add([]byte{valueTag})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord(b)
		v, verr := viewRecord(b)
		if (err == nil) != (verr == nil) {
			t.Fatalf("decodeRecord %v, viewRecord %v", err, verr)
		}
		if err == nil {
			checkView(t, v, rec)
		}
	})
}
