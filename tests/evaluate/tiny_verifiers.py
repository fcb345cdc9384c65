"""Tiny, randomly initialised stand-ins of the published verifier models, saved the way the Hub serves them.

Each builder writes a transformers folder (config.json, weights, tokenizer.json) with the architecture, head and
labels of the real model; ``put_in_hub_cache`` files a folder into a Hugging Face cache under a Hub id, so the
judge loads it by that id through ``snapshot_download(local_files_only=True)``, exactly as a downloaded model. The
weights are random: these exercise loading, input building, label mapping, windows and batching, never quality.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

WORDS = ("the normans were from norway denmark and iceland rollo led them in 1066 they conquered england about "
         "3,500 knights took part paris is capital of france a city it has two million inhabitants normandy region "
         "determine if hypothesis true given premise predict : ? . , had 900 ships ten thousand swore fealty to king "
         "charles iii briefly answer following question bear mind that your response should be strictly based on "
         "passages passage 1 case do not contain necessary information please reply with \" unable given output "
         "summarize text fell dynasty did rule scotland").split()
SPECIAL = {"bert": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "roberta": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
           "t5": ["<pad>", "</s>", "<unk>"]}


def _tokenizer(folder: Path, style: str, *, vocab_size: int = 0, model_max_length: int = 512,
               input_names=("input_ids", "attention_mask")) -> int:
    """A word-level fast tokenizer with the special tokens and pair template of ``style``; returns the vocab size."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    special = SPECIAL["bert" if style in ("bert", "deberta", "modernbert") else style]
    vocab = {t: i for i, t in enumerate(special + sorted(set(WORDS)))}
    for i in range(len(vocab), vocab_size):
        vocab[f"filler{i}"] = i
    unk = "[UNK]" if "[UNK]" in vocab else "<unk>"
    tk = Tokenizer(WordLevel(vocab, unk_token=unk))
    tk.normalizer = normalizers.Lowercase()
    tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    if style == "t5":
        tk.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B:1 </s>:1",
                                                          special_tokens=[("</s>", vocab["</s>"])])
        names = dict(pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    elif style == "roberta":
        tk.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                                          special_tokens=[("<s>", 0), ("</s>", 2)])
        names = dict(bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>", pad_token="<pad>",
                     unk_token="<unk>", mask_token="<mask>")
    else:
        tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                          special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
        names = dict(cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]")
        if style == "deberta":
            names["eos_token"] = "[SEP]"
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, model_max_length=model_max_length,
                                   model_input_names=list(input_names), **names)
    fast.save_pretrained(folder)
    return len(vocab)


def _labels(labels):
    id2label = dict(enumerate(labels))
    return {"num_labels": len(labels), "id2label": id2label, "label2id": {v: k for k, v in id2label.items()}}


def roberta(folder: Path, labels=("LABEL_0", "LABEL_1")) -> Path:
    """MiniCheck-RoBERTa-Large's shape: RobertaForSequenceClassification, two labels, </s> as separator."""
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    torch.manual_seed(0)
    n = _tokenizer(folder, "roberta", model_max_length=512)
    cfg = RobertaConfig(vocab_size=n, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=130, pad_token_id=1, bos_token_id=0,
                        eos_token_id=2, type_vocab_size=1, **_labels(labels))
    RobertaForSequenceClassification(cfg).save_pretrained(folder)
    return folder


def deberta(folder: Path, labels=("contradiction", "neutral", "entailment")) -> Path:
    """An MNLI DeBERTa-v2/v3 cross-encoder's shape (relative positions, token types, entailment not first)."""
    import torch
    from transformers import DebertaV2Config, DebertaV2ForSequenceClassification

    torch.manual_seed(0)
    n = _tokenizer(folder, "deberta", model_max_length=512, input_names=("input_ids", "token_type_ids", "attention_mask"))
    cfg = DebertaV2Config(vocab_size=n, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                          intermediate_size=32, max_position_embeddings=512, relative_attention=True,
                          position_buckets=16, pos_att_type=["p2c", "c2p"], position_biased_input=False,
                          type_vocab_size=0, pad_token_id=0, **_labels(labels))
    DebertaV2ForSequenceClassification(cfg).save_pretrained(folder)
    return folder


def _t5_config(n: int, **kw):
    from transformers import T5Config

    return T5Config(vocab_size=n, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_decoder_layers=1, num_heads=2,
                    relative_attention_num_buckets=8, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, **kw)


def flan_t5_foundation(folder: Path) -> Path:
    """What HHEM loads as its foundation (google/flan-t5-base): a T5 config and tokenizer."""
    n = _tokenizer(folder, "t5", vocab_size=256)
    _t5_config(n).save_pretrained(folder)
    return folder


def hhem(folder: Path, foundation_id: str = "google/flan-t5-base") -> Path:
    """HHEM-2.1-open's files: HHEMv2 config naming its foundation and prompt, weights of a T5 token head under t5."""
    import torch
    from safetensors.torch import save_file
    from transformers import T5ForTokenClassification

    torch.manual_seed(0)
    folder.mkdir(parents=True)
    model = T5ForTokenClassification(_t5_config(256, num_labels=2))
    state = {f"t5.{k}": v.clone().contiguous() for k, v in model.state_dict().items()
             if k != "transformer.encoder.embed_tokens.weight"}  # tied to transformer.shared
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["HHEMv2ForSequenceClassification"], "model_type": "HHEMv2", "foundation": foundation_id,
        "prompt": "<pad> Determine if the hypothesis is true given the premise?\n\nPremise: {text1}\n\nHypothesis: {text2}",
        "auto_map": {"AutoConfig": "configuration_hhem_v2.HHEMv2Config",
                     "AutoModelForSequenceClassification": "modeling_hhem_v2.HHEMv2ForSequenceClassification"},
    }))
    return folder


def minicheck_t5(folder: Path) -> Path:
    """MiniCheck-Flan-T5-Large's shape: a seq2seq T5 whose first decoded token says 1 / not."""
    import torch
    from transformers import T5ForConditionalGeneration

    torch.manual_seed(0)
    n = _tokenizer(folder, "t5", vocab_size=256)
    T5ForConditionalGeneration(_t5_config(n)).save_pretrained(folder)
    return folder


def bert_tokens(folder: Path, labels=("supported", "hallucinated")) -> Path:
    """A BERT token classifier with named labels."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    torch.manual_seed(0)
    n = _tokenizer(folder, "bert", input_names=("input_ids", "token_type_ids", "attention_mask"))
    cfg = BertConfig(vocab_size=n, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                     max_position_embeddings=512, **_labels(labels))
    BertForTokenClassification(cfg).save_pretrained(folder)
    return folder


def modernbert_tokens(folder: Path) -> Path:
    """LettuceDetect's shape: ModernBertForTokenClassification, labels LABEL_0 / LABEL_1 (1 = hallucinated)."""
    import torch
    from transformers import ModernBertConfig, ModernBertForTokenClassification

    torch.manual_seed(0)
    n = _tokenizer(folder, "modernbert", model_max_length=8192)
    cfg = ModernBertConfig(vocab_size=n, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=32, max_position_embeddings=512, pad_token_id=0, cls_token_id=2,
                           sep_token_id=3, bos_token_id=2, eos_token_id=3, local_attention=16,
                           global_attn_every_n_layers=1, **_labels(("LABEL_0", "LABEL_1")))
    ModernBertForTokenClassification(cfg).save_pretrained(folder)
    return folder


def set_bias(folder: Path, module: str, bias: list[float]) -> None:
    """Make a saved model's classifier output ``bias`` whatever the input (weights zeroed): a known answer."""
    import torch
    from safetensors.torch import load_file, save_file

    f = folder / "model.safetensors"
    state = load_file(str(f))
    state[f"{module}.weight"] = torch.zeros_like(state[f"{module}.weight"])
    state[f"{module}.bias"] = torch.tensor(bias, dtype=state[f"{module}.bias"].dtype)
    save_file(state, str(f), metadata={"format": "pt"})


def put_in_hub_cache(cache: Path, repo_id: str, src: Path, commit: str = "0" * 40) -> Path:
    """File ``src`` under ``repo_id`` in the Hugging Face cache layout (refs/main → snapshots/<commit>/...)."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / commit
    shutil.copytree(src, snap)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snap
