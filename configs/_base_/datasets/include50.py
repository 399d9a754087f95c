# INCLUDE-50 fine-tuning and testing (50 of INCLUDE's signs; 689 / 77 / 192 clips; docs/datasets.md): the
# publisher's include50 path lists and label map over the same videos, pose files and loaders as INCLUDE's.
_base_ = ['./include.py']
data_root = 'data/include'
_labels = dict(label_map_file=f'{data_root}/label_map_include50.json')
train_dataloader = dict(dataset=dict(_labels, ann_file=f'{data_root}/include50_train.txt'))
val_dataloader = dict(dataset=dict(_labels, ann_file=f'{data_root}/include50_val.txt'))
test_dataloader = dict(dataset=dict(_labels, ann_file=f'{data_root}/include50_test.txt'))
