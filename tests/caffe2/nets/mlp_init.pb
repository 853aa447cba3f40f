
mlp_initÐfc1_w"GivenTensorFill*
shape00*¨
values-õ@4>-*ãË>-Œª¿-í‘i¿-Â¿- ²I¿-¤±è>-Å´·>-‰AV½-ÂÇÓ½-7v¿-’T?-ŠÐQ>-nl?-AP¨>-¡`Z>-¶FÐ½-až¿-,B®>-Ìlñ>-þÏ÷¾-O¿-]ük?-·0þ¾-ß¾-”X	?-j‰?-Y`´=-û6p¾-ý`r¾-PÛ¾-Ûö>Ufc1_b"GivenTensorFill*	
shape0*0
values-…£¿-‡ÿ½-/_D?-¯Æ×¾-âª?-“•?-#`(¾-	h¿¨fc2_w"GivenTensorFill*
shape00*€
values-–£#¾-¹_¿-€~E>-²µ,?-úóH?-xT¿-]ùœ;-}oJ?-Ýïù¾-á<?-åŽw¿-×=-Ö™d=-bÁX?-¿-ü8_¿-«àM?-%‚??-Í3,¿-Þ?-lßœ¾-Þœ¿¾-ž·1?-§­B?<fc2_b"GivenTensorFill*	
shape0*
values-ËË´>-±„d¿-$Šò=