package wildcard

import "testing"

func BenchmarkMatch(b *testing.B) {
	benches := []struct{ name, pattern, path string }{
		{"literal", "results/summary.tsv", "results/summary.tsv"},
		{"prefix miss", "counts/{sample}.txt", "plots/A.png"},
		{"one", "counts/{sample}.txt", "counts/sample_00042.txt"},
		{"one constrained", "counts/{sample,[a-z0-9_]+}.txt", "counts/sample_00042.txt"},
		{"two", "mapped/{sample}/{unit}.bam", "mapped/sample_00042/lane1.bam"},
		{"two miss", "mapped/{sample}/{unit}.bam", "mapped/sample_00042.bai"},
		{"repeated", "{s}/{s}.bam", "sample_00042/sample_00042.bam"},
	}
	for _, bb := range benches {
		p, err := Parse(bb.pattern, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Match(bb.path)
			}
		})
	}
}
