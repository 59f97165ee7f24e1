def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
assert log.contains('model.int8.onnx: no such file')
