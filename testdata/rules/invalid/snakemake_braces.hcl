# Snakemake's single-brace references in shell (and message) are errors
# with the HCL form as the fix; awk, bash braces and ${...} are not.
rule "count" {
  input   = { reads = "data/{sample}.txt" }
  output  = ["counts/{sample}.txt"]
  log     = "logs/{sample}.log"
  message = "counting {wildcards.sample}"   # want: Snakemake-style reference in message
  shell   = <<-EOT
    wc -l {input.reads} > ${output}   # want: Snakemake-style reference in shell
    awk '{print $1}' ${input} | sort {a,b} > /dev/null 2> {log}   # want: Snakemake-style reference in shell
    echo $${HOME} {{input}} ${"{input}"} {${"output"}} find . -exec true {} \;
    %{ if true }cat {output[0]}%{ endif }   # want: Snakemake-style reference in shell
    echo ${true ? "{threads}" : ""} {config[samples]} {rule}   # want: Snakemake-style reference in shell
  EOT
}
