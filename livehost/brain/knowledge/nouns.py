"""Nouns that name things a shop sells, across the usual live-commerce categories (singular).

A word from this list that the persona's knowledge never uses is a product the shop does not
carry: grounding rejects a reply that offers one, retrieval reports it as unknown.
"""

# Words with common other meanings ("watch the stream", "a fan", "cast iron", "glass lid",
# "book a slot") are left out: a false alarm here discards a good reply.
PRODUCT_NOUNS = frozenset(
    """
    kettle teapot teacup cup mug tumbler bottle flask thermos jug pitcher carafe decanter pan
    pot skillet wok saucepan casserole tray grill griddle plate bowl platter saucer cutlery
    fork spoon knife chopstick ladle spatula whisk tong peeler grater colander sieve strainer
    timer thermometer toaster blender mixer juicer grinder microwave oven fryer airfryer cooker
    steamer dishwasher fridge refrigerator freezer dehydrator espresso coffeemaker percolator
    infuser napkin tablecloth placemat coaster apron towel mitt glove sponge candle vase lamp
    lantern clock mirror cushion pillow blanket rug carpet curtain duvet quilt mattress sofa
    couch chair stool table desk shelf bookcase cabinet drawer basket jar canister container
    lunchbox bag backpack suitcase wallet purse umbrella hat scarf sock shoe boot sneaker
    sandal slipper shirt t-shirt hoodie sweater jumper jacket coat dress skirt trouser jeans
    legging pajama underwear bra necklace bracelet earring sunglasses phone smartphone tablet
    laptop computer keyboard monitor headphone earphone earbud charger cable powerbank camera
    tripod drone tv television router printer lipstick mascara perfume lotion serum shampoo
    conditioner soap toothbrush razor hairdryer straightener toy doll puzzle notebook pencil
    bicycle bike helmet tent vacuum hoover heater humidifier purifier
    """.split()
)
