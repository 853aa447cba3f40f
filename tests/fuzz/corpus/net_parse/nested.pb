
nested
XYcopy"Copysimple2
innerB
inner
XY"Copy:XBY