
strings_predict
class_names	names_out"Copy
lutlut_out"Copy
data
scaleshifted"Sum:data:class_names:lut:scaleB	names_outBlut_outBshifted