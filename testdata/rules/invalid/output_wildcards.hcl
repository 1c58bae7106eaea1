rule "split" {
  output = [
    "parts/{sample}/{part}.txt",
    "parts/{sample}.done",   # want: Output lacks a wildcard
  ]
}

rule "named" {
  output = {
    bam = "{sample}.bam"   # want: Output lacks a wildcard
    bai = "{sample}.{unit}.bai"
  }
}
