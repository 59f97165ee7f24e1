def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
assert log.contains('gate pass max_accuracy_drop')
assert new File(basedir, 'target/mlp.pruned.onnx').isFile()
assert new File(basedir, 'target/edgecompress-reports/edgecompress-verify.json').isFile()
assert new File(basedir, 'target/edgecompress-reports/TEST-edgecompress-verify.xml').isFile()
def compress = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/edgecompress-reports/edgecompress-compress.json'))
assert compress.latency*.batch == [1] : 'compress times at <batch> alone'
