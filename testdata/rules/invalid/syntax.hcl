# An unclosed list runs into the closing brace of the block.
rule "count" {
  output = ["counts/{sample}.txt"
}   # want: Missing item separator
