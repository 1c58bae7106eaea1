package rules

import "testing"

func BenchmarkZZForExpr(b *testing.B) {
	src := []byte(`
config {
  n = 33333
}
rule "all" {
  input = expand("s3/{s}.txt", { s = [for i in range(config.n) : tostring(i)] })
}
`)
	for b.Loop() {
		Parse(src, "Rulefile")
	}
}
